# Descent Lab for a class: one container = one Streamlit server (README: "Running it for a class").
#   docker build -t descent-lab . && docker run -p 8501:8501 descent-lab
FROM python:3.11-slim

# glibc gives each thread its own malloc arena, up to 8 per core, and Streamlit runs a thread per
# session: the server's memory crept up round after round of students (bench/load.py). Four
# arenas keep it flat; two did too but cost a third of the throughput.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_ARENA_MAX=4

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app's code and its production settings (.streamlit/config.toml); tests, benchmarks and
# docs stay out (.dockerignore).
COPY . .

# Never root, and no home: the only thing written is numba's cache of compiled kernels, in a
# folder of its own, filled now (the first students wait for no compiler) and writable later.
ENV NUMBA_CACHE_DIR=/var/cache/descent-lab
RUN useradd --system --no-create-home --uid 10001 descent \
    && mkdir -p "$NUMBA_CACHE_DIR" && chown descent "$NUMBA_CACHE_DIR"
USER descent
RUN python -c "import optimizers.groups as g, optimizers.loop as l, surfaces.compiled as s; g.compile_all(); s.compile_all(); l.compiled_loop(s.point)"

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"

CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
