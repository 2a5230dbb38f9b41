# Image for web, worker and beat (compose.yaml). The same commands as `make run`.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin gettext postgresql-client fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt
COPY . .
COPY --from=frontend /app/node_modules node_modules
RUN python manage.py compilemessages --ignore=node_modules -v 0 \
 && SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app terrain && chown -R terrain /app
USER terrain
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "off", "--proxy-headers", "--forwarded-allow-ips", "*"]
