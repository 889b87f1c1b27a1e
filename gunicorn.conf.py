# Read by gunicorn when it is started from the project's folder (./scripts/serve, deploy/, the tests):
# an access log without the secrets some paths carry (reset, invitation and feed links), see spaces/logs.py.
logger_class = "spaces.logs.GunicornLogger"
