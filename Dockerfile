# fengqiao image: the web server (gunicorn), and with another command the worker or the scheduler
# (see deploy/compose.yaml). Front-end packages are built in a first stage with npm.
FROM node:20-bookworm-slim AS vendor
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p vendor/htmx vendor/echarts vendor/leaflet/images \
 && cp node_modules/htmx.org/dist/htmx.min.js vendor/htmx/ \
 && cp node_modules/echarts/dist/echarts.min.js vendor/echarts/ \
 && cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css vendor/leaflet/ \
 && cp node_modules/leaflet/dist/images/* vendor/leaflet/images/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/srv/fengqiao/var
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /srv/fengqiao fengqiao
WORKDIR /srv/fengqiao/app
COPY pyproject.toml README.md ./
COPY fengqiao ./fengqiao
COPY deploy ./deploy
RUN pip install --no-cache-dir .
COPY --from=vendor /build/vendor /srv/fengqiao/var/vendor
# The PDF font chain (PDF_CJK_FONT, PDF_CJK_FALLBACK_FONTS) from the npm packages' web-font slices.
COPY --from=vendor /build/node_modules/hanamin /tmp/fontsrc/hanamin
COPY --from=vendor /build/node_modules/@fontsource/noto-serif-sc/files /tmp/fontsrc/@fontsource/noto-serif-sc/files
RUN python -m fengqiao.mediation.fontbuild /tmp/fontsrc /srv/fengqiao/var/fonts && rm -rf /tmp/fontsrc
RUN mkdir -p /srv/fengqiao/var/media /srv/fengqiao/var/static \
 && SECRET_KEY=build DEBUG=0 fengqiao collectstatic --no-input -v0 \
 && chown -R fengqiao:fengqiao /srv/fengqiao/var
USER fengqiao
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
