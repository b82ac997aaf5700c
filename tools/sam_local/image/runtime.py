"""Starts the Lambda runtime interface client in the stand-in image, with ``sys.path`` in
Lambda's order: the function code, then the layers, then the runtime's own packages."""

import os
import sys


def main() -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtime_dir = os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime")
    front = [os.environ.get("LAMBDA_TASK_ROOT", "/var/task"),
             f"/opt/python/lib/{version}/site-packages", "/opt/python", runtime_dir]
    sys.path[:] = front + [p for p in sys.path if p not in front and p != runtime_dir]
    handler = os.environ.get("_HANDLER") or os.environ.get("AWS_LAMBDA_FUNCTION_HANDLER")
    if not handler:
        sys.exit("runtime: no handler (_HANDLER or AWS_LAMBDA_FUNCTION_HANDLER)")
    from awslambdaric import __main__ as runtime_interface_client

    runtime_interface_client.main([sys.argv[0], handler])


if __name__ == "__main__":
    main()
