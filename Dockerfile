# syntax=docker/dockerfile:1
# Production image for payinvoice: one image, three roles (selected by the command):
#   api      uvicorn api.app:app --host 0.0.0.0 --port 8000   (default)
#   worker   python worker.py
#   migrate  alembic upgrade head
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Unprivileged runtime user; it owns /app itself (not the code) so the default SQLite URL
# can still create its file when the image is run without PAYINVOICE_DATABASE_URL.
RUN groupadd --system --gid 10001 payinvoice \
    && useradd --system --uid 10001 --gid payinvoice --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin payinvoice \
    && chown payinvoice:payinvoice /app

# The whole repo (minus .dockerignore): the packages payinvoice/, workflows/, activities/, services/, api/, cli/
# plus worker.py, templates/, migrations/ and alembic.ini, which run from /app.
COPY . /app

# No system package to add: invoice PDFs are printed by Typst (a wheel from PyPI, its fonts inside).
RUN pip install --no-cache-dir . \
    && rm -rf /app/build /app/*.egg-info

USER payinvoice

EXPOSE 8000

CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]
