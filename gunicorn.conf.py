"""gunicorn settings; each can be overridden on the command line or by GUNICORN_CMD_ARGS."""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# The proxies whose X-Forwarded-Proto counts; the app reads the same setting, with the same
# default, to believe their X-Forwarded-For (app/config.py, app/proxies.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
# Hides receipt paths, and who asked, as the app's own access log does (app/gunicorn_log.py).
logger_class = "app.gunicorn_log.RedactingLogger"
