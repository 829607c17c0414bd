# Diskret: a multi-stage image that runs `diskret serve` as a non-root user.
# Secrets come from the environment or from *_FILE paths (container secrets);
# the image holds none.

FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/diskret
# Dependencies first, from the lock (exact versions, hashes checked), in a
# layer of their own that survives code changes.
COPY requirements/runtime.txt ./requirements/
RUN /opt/diskret/bin/pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY service ./service
COPY crypto ./crypto
RUN /opt/diskret/bin/pip install --no-deps .

FROM python:3.11.7-slim-bookworm
ENV PATH=/opt/diskret/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DISKRET_INSTANCE_PATH=/var/lib/diskret
RUN useradd --system --uid 10001 --home-dir /var/lib/diskret --create-home diskret
COPY --from=build /opt/diskret /opt/diskret
USER diskret
WORKDIR /var/lib/diskret
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["diskret", "serve", "--bind", "0.0.0.0:8000"]
