"""`rq worker --worker-class jobs.worker.WarmWorker`: the worker makes the app once, before it forks
a work horse per job, so a job starts with the app made (importing it and creating it costs about
1.8 CPU-seconds, far more than sending a message) and only opens its own database connections."""
from rq import Worker

import jobs


class WarmWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        jobs._app()
