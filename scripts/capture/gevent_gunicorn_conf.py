"""gunicorn config hooks for gevent_blocking_app (the settings themselves are on the command line).

post_worker_init runs in each worker after gevent's monkey-patching and the app import: it
starts the app's background greenlets (the lag ticker in the first worker only, so that
lag.csv is one worker's series; a stats line in every worker).
"""


def post_worker_init(worker):
    import gevent_blocking_app

    gevent_blocking_app.start_worker_background(worker.age, worker.pid)
