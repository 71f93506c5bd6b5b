"""HTTP API v1: checkout backends, payment processors, support and finance staff."""
