# ecoute in a container: `ecoute serve` runs every deployment of prefect.yaml on its schedule.
# The project folder (ecoute.toml, prefect.yaml, and ecoute-data/ that runs write) is mounted
# at /srv/ecoute; secrets come as environment variables. See README.md, "Operations".
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    HF_HUB_OFFLINE=1

WORKDIR /opt/ecoute-src
COPY . .
# torch from PyTorch's CPU wheels (the default index would bring several GB of CUDA), pinned
# with everything else by constraints.txt
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt . \
    && useradd --create-home --uid 1000 ecoute \
    && mkdir -p /srv/ecoute && chown ecoute /srv/ecoute

USER ecoute
WORKDIR /srv/ecoute
ENV ECOUTE_SETTINGS=/srv/ecoute/ecoute.toml
VOLUME ["/srv/ecoute"]
CMD ["ecoute", "serve"]
