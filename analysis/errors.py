"""The one exception type a user is shown: a clear sentence, no traceback."""


class PipelineError(Exception):
    """An error the user can cause and fix (configuration, input data, environment).

    The message is one sentence naming the file/key/survey and what to do; the CLI prints it
    and exits non-zero.
    """
