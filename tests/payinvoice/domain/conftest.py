"""Keep hypothesis's example database and caches out of the repository root."""

import tempfile
from pathlib import Path

from hypothesis import configuration

configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "payinvoice-hypothesis")
