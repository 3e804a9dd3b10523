# Tandem in a container: `docker build -t tandem .` (`--build-arg SOURCE=<repository URL>
# --build-arg REVISION=$(git rev-parse HEAD)` fill in those labels), then
#   docker run -d --name tandem -p 8080:8080 --stop-timeout 30 -v tandem-data:/data \
#     -v $PWD/my-shop.yaml:/config/tandem.yaml:ro \
#     -e SHOPIFY_ACCESS_TOKEN -e SHOPIFY_WEBHOOK_SECRET -e TANDEM_SECRET_KEY tandem
# runs `tandem run` (scheduler, webhooks, dashboard, /healthz on port 8080) as user 10001.
# Without a configuration mounted, /config holds the bundled example (config/ of the
# repository): `docker run --rm -v tandem-data:/data tandem sync` writes its PO emails to
# /data/mail. The state database is SQLite in the /data volume: TANDEM_DATABASE_URL, set so
# here, overrides the file's database_url; `-e TANDEM_DATABASE_URL=postgresql+psycopg://...`
# for PostgreSQL. Secrets come from the environment, referenced in the config as ${NAME};
# logs go to standard error (docker logs).
# On `docker stop` Tandem lets running jobs finish for daemon.shutdown_grace (20 s) but Docker
# kills it after 10 s unless told otherwise: `docker stop -t 30`, or `--stop-timeout 30` on
# `docker run`. `bash .ci/image-check` builds and runs this image where an engine is.
#
# The base, pinned by digest: a rebuild gets the same Python and Debian. To move to a newer
# one, take the digest of the tag's index and replace it here:
#   docker buildx imagetools inspect python:3.11-slim-bookworm --format '{{.Manifest.Digest}}'
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# Build: the locked dependencies, every file checked against the lock's hashes, then Tandem's
# wheel, into the virtual environment /opt/tandem that the runtime stage takes whole.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first, a layer that survives edits of the sources. One of them comes as source
# only (pyactiveresource); it is built with the locked setuptools, like Tandem itself.
COPY requirements/build.lock requirements/runtime.lock requirements/
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps -r requirements/build.lock \
    && /opt/build/bin/pip wheel --require-hashes --no-deps --no-build-isolation \
       -r requirements/runtime.lock -w /wheels \
    && python -m venv --without-pip /opt/tandem \
    && /opt/build/bin/pip --python /opt/tandem/bin/python install --no-index --no-deps \
       /wheels/*.whl
COPY pyproject.toml setup.py README.md ./
COPY connector connector
COPY adapters adapters
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation -w /dist . \
    && /opt/build/bin/pip --python /opt/tandem/bin/python install --no-index --no-deps \
       /dist/*.whl

# Runtime: the same base with the environment, the fonts, the example and nothing else.
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE=
ARG REVISION=
LABEL org.opencontainers.image.title="Tandem" \
      org.opencontainers.image.description="Tandem turns storefront orders into purchase orders for back-to-back and drop-ship supply." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}"

# Fonts for the PO PDFs (tandem.adapters.suppliers.email.fonts): DejaVu Sans (Latin, Greek,
# Cyrillic, Arabic, Hebrew), Noto Sans CJK, Noto Sans for Thai, Devanagari and the other
# scripts, Symbola for emoji, so every customer's name prints; without them the PDF falls back
# to Latin-1.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-cjk \
       fonts-noto-core fonts-symbola \
    && rm -rf /var/lib/apt/lists/*

# The user Tandem runs as owns only /data, the volume of everything it writes.
RUN groupadd --gid 10001 tandem \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data \
       --shell /usr/sbin/nologin tandem \
    && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=build /opt/tandem /opt/tandem
# The bundled example, read-only; a configuration mounted at /config/tandem.yaml (or a folder
# at /config) takes its place.
COPY config /config

ENV PATH=/opt/tandem/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TANDEM_CONFIG=/config/tandem.yaml \
    TANDEM_DATA=/data \
    TANDEM_DATABASE_URL=sqlite:////data/tandem.db

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Healthy while /healthz answers 200: the database answers and no check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["tandem"]
CMD ["run", "--host", "0.0.0.0", "--port", "8080"]
