# The Joulo Telegram bot as a container: `docker compose up -d` (see compose.yaml and README).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PTB_TIMEDELTA=1 \
    DATABASE_PATH=/data/bot.sqlite3

# An unprivileged user that owns nothing but the data volume.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /home/bot --create-home \
        --shell /usr/sbin/nologin bot \
    && mkdir /data \
    && chown bot:bot /data

# setuptools needs the readme named in pyproject.toml, so it is copied along with the code.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ ./bot/
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

# The database and the generated encryption key live here: keep this volume and back it up.
VOLUME /data

USER bot
# Run from an empty directory, so `python -m bot` imports the installed package and no `.env`
# is picked up from the source tree (settings come from the environment, see compose.yaml).
WORKDIR /home/bot

# Healthy while the poller completed a cycle within the last 3 poll intervals (3 min at the
# default POLL_INTERVAL=60); the first cycle runs about a second after start-up. Docker
# reserves exit status 2 for health checks, so the healthcheck's 2 (an unusable setting or
# DATABASE_PATH) is reported as 1, "unhealthy", like any other failure.
HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 \
    CMD python -m bot healthcheck || exit 1

# Listening only when configured: the webhook server in webhook mode (WEBHOOK_PORT, default
# 8443) and the metrics (METRICS_PORT; 9100 is the example in compose.yaml). compose.yaml sets
# both listen addresses to 0.0.0.0, which inside the container is the container's own.
EXPOSE 8443 9100

CMD ["python", "-m", "bot"]
