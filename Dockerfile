# The pipeline image: Dagster webserver + daemon over the code location in tileshop_pipelines/.
# Production sets DATABASE_URL (Fly Postgres or Supabase); run/event/schedule storage and the
# pipeline's tables then live in that Postgres.
FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/app/dagster_home \
    TILESHOP_HOME=/app/.tileshop \
    CRAWL4_AI_BASE_DIRECTORY=/app/.tileshop/crawl4ai \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
COPY pyproject.toml constraints.txt ./
COPY tileshop_pipelines ./tileshop_pipelines
COPY rag_app ./rag_app
COPY crawler ./crawler
# Pass TORCH_INDEX_URL=<PyTorch's CPU wheel index> to keep the image small; without it pip takes
# PyPI's default (CUDA-bundled) torch 2.13.0 wheel, which also runs on CPU.
ARG TORCH_INDEX_URL=""
RUN pip install --no-cache-dir torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
 && pip install --no-cache-dir -c constraints.txt .
COPY dagster.yaml workspace.yaml ./
RUN mkdir -p $DAGSTER_HOME && cp dagster.yaml $DAGSTER_HOME/dagster.yaml
COPY deploy/start.sh ./deploy/start.sh
EXPOSE 3000
CMD ["bash", "deploy/start.sh"]
