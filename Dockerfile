# HARE's app on any container host: CPU torch, a non-root user, port 8501, a health check.
#
#   docker build --build-arg PIP_EXTRA_INDEX_URL=<PyTorch's CPU wheel index> -t hare .
#   docker run -p 8501:8501 hare
#
# requirements.txt asks for torch 2.13.0+cpu, the CPU build PyTorch publishes on its own CPU
# wheel index (the one pytorch.org's install selector gives for "CPU"); pip takes it from the
# build argument above. Or put the torch wheel in a wheels/ folder beside this file: pip looks
# there first. The datasets download once into the cache on first use, or mount them and set
# HARE_DATA_DIR.
FROM python:3.11-slim

# pip reads it from the environment while the dependencies install; the image does not keep it.
ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

RUN useradd --create-home --uid 1000 hare
WORKDIR /app

# Dependencies first, so a code change does not reinstall torch. "wheel[s]" copies the wheels
# in wheels/ when that folder exists, and nothing otherwise. The project itself is not
# installed: it runs from /app (PYTHONPATH), as `python -m hare`.
COPY requirements.txt wheel[s] /tmp/install/
RUN grep -v '^-e ' /tmp/install/requirements.txt > /tmp/install/deps.txt \
    && pip install --find-links /tmp/install -r /tmp/install/deps.txt \
    && rm -rf /tmp/install

COPY --chown=hare:hare . /app

USER hare
# A public server: capped grids, one worker per sweep (HARE_HOSTED=0 lifts the caps).
ENV HARE_HOSTED=1 \
    HARE_CACHE_DIR=/home/hare/.cache/hare \
    PYTHONPATH=/app
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).status != 200)"
CMD ["streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
