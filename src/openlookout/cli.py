"""Command line: ``openlookout serve | keys | sdk-model``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from openlookout.config import Settings


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help="state folder (default ./data or $OPENLOOKOUT_DATA_DIR)"
    )
    parser.add_argument("--region", help="region used in ARNs and signatures (default us-east-1)")
    parser.add_argument("--account-id", help="account id used in ARNs (default 123456789012)")


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return Settings.from_env(data_dir=args.data_dir, region=args.region, account_id=args.account_id, **extra)


def _print_banner(settings: Settings, access_key_id: str, secret: str) -> None:
    url = settings.endpoint_url
    print(
        f"openlookout {_version()} serving Lookout for Vision, Rekognition Custom Labels and S3 on {url}\n"
        f"  data: {settings.data_dir.resolve()}  metadata: {settings.resolved_database_url}\n\n"
        "Point the AWS CLI / SDKs at it:\n"
        f"  export AWS_ENDPOINT_URL={url}\n"
        f"  export AWS_ACCESS_KEY_ID={access_key_id}\n"
        f"  export AWS_SECRET_ACCESS_KEY={secret}\n"
        f"  export AWS_DEFAULT_REGION={settings.region}\n\n"
        "or paste this profile into ~/.aws/config (then use --profile openlookout):\n"
        "  [profile openlookout]\n"
        f"  region = {settings.region}\n"
        f"  endpoint_url = {url}\n"
        f"  aws_access_key_id = {access_key_id}\n"
        f"  aws_secret_access_key = {secret}\n\n"
        f"Web console: {url}/console/ (sign in with the access key id and secret above)\n",
        flush=True,
    )


def _version() -> str:
    from openlookout import __version__

    return __version__


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from openlookout.api.app import create_app
    from openlookout.api.auth import CredentialStore
    from openlookout.api.http_server import (
        KEEP_ALIVE_S,
        MAX_HEAD_BYTES,
        GuardedH11Protocol,
        concurrency_limit,
    )
    from openlookout.private_paths import make_private_dir

    settings = _settings(
        args, host=args.host, port=args.port, policy_file=args.policy_file, database_url=args.database_url
    )
    make_private_dir(settings.data_dir)
    access_key_id, secret = CredentialStore.load(settings).root
    _print_banner(settings, access_key_id, secret)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown: in-flight requests
    # finish and the lifespan hook stops the job runner.
    # The guarded protocol adds a request-head timeout and 414/431 answers (api/http_server.py).
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        timeout_graceful_shutdown=10,
        http=GuardedH11Protocol,
        h11_max_incomplete_event_size=2 * MAX_HEAD_BYTES,  # a backstop: heads are measured first
        limit_concurrency=concurrency_limit(),
        # SDKs reuse pooled connections; uvicorn's 5 s default closes them under
        # clients that poll every few seconds (ConnectionClosedError mid-request).
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from openlookout.kms.cli import keys_create, keys_list

    settings = _settings(args)
    if args.keys_command == "create":
        key = keys_create(settings, description=args.description, alias=args.alias)
        print(key.arn)
        return 0
    for key in keys_list(settings):
        alias = f"  {key.alias}" if getattr(key, "alias", None) else ""
        print(f"{key.key_id}  {key.arn}{alias}")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    """Print shell exports for the AWS CLI/SDKs (use with eval)."""
    from openlookout.api.auth import CredentialStore

    settings = _settings(args, host=args.host, port=args.port)
    access_key_id, secret = CredentialStore.load(settings).root
    print(
        f"export AWS_ENDPOINT_URL={settings.endpoint_url}\n"
        f"export AWS_ACCESS_KEY_ID={access_key_id}\n"
        f"export AWS_SECRET_ACCESS_KEY={secret}\n"
        f"export AWS_DEFAULT_REGION={settings.region}"
    )
    return 0


def cmd_sdk_model(args: argparse.Namespace) -> int:
    from openlookout.api.sdkmodel import write_sdk_model

    path = write_sdk_model(args.out)
    print(f"wrote {path}\nuse it with: export AWS_DATA_PATH={args.out.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openlookout", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server (embedded SQLite + local folder by default)")
    _add_common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--policy-file", type=Path, help="JSON file with extra access keys and allow-lists")
    serve.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=cmd_serve)

    keys = sub.add_parser("keys", help="manage local KMS keys for CreateModel's KmsKeyId")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print its ARN")
    _add_common(create)
    create.add_argument("--description")
    create.add_argument("--alias", help="alias name, e.g. my-key (used as alias/my-key)")
    lst = keys_sub.add_parser("list", help="list keys")
    _add_common(lst)
    keys.set_defaults(func=cmd_keys)

    env = sub.add_parser("env", help='print AWS_* exports for this server (eval "$(openlookout env)")')
    _add_common(env)
    env.add_argument("--host", default="127.0.0.1")
    env.add_argument("--port", type=int, default=8080)
    env.set_defaults(func=cmd_env)

    sdk = sub.add_parser("sdk-model", help="write the lookoutvision service model for current boto3")
    sdk.add_argument("--out", type=Path, required=True, help="folder to use as AWS_DATA_PATH")
    sdk.set_defaults(func=cmd_sdk_model)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migration chatter is noise on every start; real migration errors still raise.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
