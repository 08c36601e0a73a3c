#!/usr/bin/python3
# Run a command on a fresh pseudo-terminal (its controlling terminal, stdin,
# stdout and stderr) and answer its prompts: each time the output since the
# last answer ends in a prompt (": " or "] "), the next line of ANSWERS is
# typed. The transcript goes to stdout; the exit status is the command's.
# Usage: pty_answer.py ANSWERS_FILE CMD [ARG...]
import os
import pty
import select
import sys


def main():
    with open(sys.argv[1]) as f:
        answers = f.read().splitlines()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    pending = b""
    transcript = b""
    while True:
        r, _, _ = select.select([fd], [], [], 20)
        if not r:
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        transcript += data
        pending += data
        if pending.endswith((b": ", b"] ")) and answers:
            os.write(fd, answers.pop(0).encode() + b"\n")
            pending = b""
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xff)


main()
