"""Exceptions that carry a message meant for the person at the keyboard."""


class UserInputError(Exception):
    """Bad input from the user (missing file, malformed matrix, unknown domain).

    The command line prints ``coevolve: <message>`` on one line to stderr and exits with status 2.
    """
