# Tandem in a container: `docker build -t tandem .`, then
#   docker run -d -p 8080:8080 -v tandem-data:/data -v $PWD/my-shop.yaml:/config/tandem.yaml \
#     -e SHOPIFY_ACCESS_TOKEN -e SHOPIFY_WEBHOOK_SECRET -e TANDEM_SECRET_KEY tandem
# runs `tandem run` (scheduler, webhooks, dashboard on port 8080). The state database defaults
# to SQLite in the /data volume; TANDEM_DATABASE_URL overrides it (PostgreSQL). Secrets come
# from the environment, referenced in the config as ${NAME}. On `docker stop` Tandem lets
# running jobs finish for daemon.shutdown_grace (20 s) but Docker kills it after 10 s unless
# told otherwise: `docker stop -t 30`, or `--stop-timeout 30` on `docker run`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TANDEM_DATABASE_URL=sqlite:////data/tandem.db

# Fonts for the PO PDFs: DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew) and Noto Sans
# CJK, Noto Sans for other scripts and Symbola for emoji, so every customer's name prints; without them the PDF falls back to Latin-1.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-cjk \
       fonts-noto-core fonts-symbola \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 tandem \
    && mkdir /data && chown tandem:tandem /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY adapters ./adapters
RUN pip install .
COPY config ./config

USER tandem
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["tandem"]
CMD ["run", "--config", "/config/tandem.yaml", "--host", "0.0.0.0", "--port", "8080"]
