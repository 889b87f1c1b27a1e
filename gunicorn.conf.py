# Read by gunicorn when it is started from the project's folder (./scripts/serve, deploy/, the tests):
# an access log without the secrets some paths carry (reset, invitation and feed links), see spaces/logs.py.
logger_class = "spaces.logs.GunicornLogger"


def post_worker_init(worker):
    """Each worker asks the app for its common pages once before it takes requests (spaces/warmup.py)."""
    from spaces.warmup import warm_up

    warm_up(worker.wsgi)


def child_exit(server, worker):
    """A worker's metric files stay for the totals; prometheus_client is told the process is gone."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
