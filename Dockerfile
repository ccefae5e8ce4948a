# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY core ./core
COPY feedbackloop ./feedbackloop
COPY accounts ./accounts
COPY intake ./intake
COPY triage ./triage
COPY sessions ./sessions
COPY notifications ./notifications
COPY insights ./insights
RUN pip install .

COPY . .
# collectstatic needs settings, not a database or secrets: give it throwaway values.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-$(date +%s%N)-not-a-secret-xxxxxxxxxxxxxxxxxxxxxxxx \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    EMAIL_URL=smtp://localhost:25 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 feedbackloop && chown -R feedbackloop /app
USER feedbackloop

EXPOSE 8000
CMD ["gunicorn", "feedbackloop.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
