"""The one exception type a user is shown: a clear sentence, no traceback."""


class PipelineError(Exception):
    """An error the user can cause and fix (configuration, input data, environment).

    The message is one sentence naming the file/key/survey and what to do; the CLI prints it
    and exits non-zero.
    """


PROJECT_FOLDERS = ("surveys", "data_raw", "data_clean", "reports")


def shown(path) -> str:
    """A project file as the user knows it ('surveys/2025/wave.yaml'), not as an absolute path."""
    from pathlib import Path

    parts = Path(path).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in PROJECT_FOLDERS:
            return "/".join(parts[i:])
    return str(path)
