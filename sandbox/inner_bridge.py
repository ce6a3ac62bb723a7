"""Runs inside the sandbox (standard library only): listen on 127.0.0.1:PORT, forward each
connection to the model route's Unix socket, and exec the lab's command in the foreground.

usage: python inner_bridge.py SOCKET PORT -- CMD...
"""

import os
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(listener, socket_path):
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(socket_path)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


def main():
    socket_path, port, sep, *command = sys.argv[1:]
    if sep != "--" or not command:
        sys.exit("usage: inner_bridge.py SOCKET PORT -- CMD...")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(port)))
    listener.listen(64)  # bound before the fork: the lab can connect from its first line
    if os.fork() == 0:
        serve(listener, socket_path)
        os._exit(0)
    listener.close()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
