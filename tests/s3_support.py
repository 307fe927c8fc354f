"""An S3-compatible server for the S3 storage suites: moto in server mode on loopback.

One server per session (`s3_endpoint`), one fresh bucket per test (`new_bucket`). boto3 gets
dummy keys and never looks for AWS credentials or the instance metadata service, so nothing
leaves this machine. Without moto installed those tests skip and say why (under `CI=true`
they fail: the dev group installs it).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest

IN_CI = os.environ.get("CI") == "true"
ACCESS_KEY_ID = "AKIAAFPTESTKEY000000"
SECRET_ACCESS_KEY = "afp-test-secret-access-key-do-not-log"  # moto's dummy key
REGION = "us-east-1"
_AWS_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",  # never ask 169.254.169.254 for credentials
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@attrs.frozen
class S3Server:
    endpoint: str
    server: Any  # moto's ThreadedMotoServer

    def client(self) -> Any:
        return boto3_client("s3", self.endpoint)

    def user_without_rights(self) -> dict[str, str]:
        """The keys of a new IAM user with no policy (moto enforces IAM only when asked)."""
        iam = boto3_client("iam", self.endpoint)
        name = f"afp-{uuid.uuid4().hex[:12]}"
        iam.create_user(UserName=name)
        made: dict[str, str] = iam.create_access_key(UserName=name)["AccessKey"]
        return made

    def new_bucket(self) -> str:
        name = f"afp-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name


@functools.cache
def boto3_client(service: str, endpoint: str) -> Any:
    """A client with the test keys (made once: building one reads boto3's service models)."""
    import boto3

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@contextmanager
def moto_server() -> Iterator[S3Server]:
    if not IN_CI:
        pytest.importorskip("boto3", reason="the S3 suites need boto3 (the dev group)")
        pytest.importorskip("moto.server", reason="the S3 suites need moto[server] (dev group)")
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in _AWS_ENV}
    os.environ.update(_AWS_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}", server)
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


__all__ = ["ACCESS_KEY_ID", "REGION", "SECRET_ACCESS_KEY", "S3Server", "moto_server"]
