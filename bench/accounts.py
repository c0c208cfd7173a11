#!/usr/bin/env python3
"""Writes N quota-proxy account files (one JSON file per account, mode 0600) into a folder.

  accounts.py DIR --count 10000 --base-url http://127.0.0.1:8601 --models gpt-4o-mini
"""

import argparse
import json
import os


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--prefix", default="acc-")
    parser.add_argument("--key-prefix", default="sk-bench-")
    parser.add_argument("--key", help="the same key for every account (default: a distinct key each)")
    parser.add_argument("--models", nargs="*", help="models the accounts serve (default: any model)")
    parser.add_argument("--provider", default="openai")
    args = parser.parse_args()

    os.makedirs(args.directory, mode=0o700, exist_ok=True)
    width = max(6, len(str(args.count)))
    for n in range(1, args.count + 1):
        ident = f"{args.prefix}{n:0{width}d}"
        account = {
            "id": ident,
            "label": f"bench-{n}@example.com",
            "provider": args.provider,
            "base_url": args.base_url,
            "tier": "primary",
            "credentials": {"api_key": args.key or f"{args.key_prefix}{n:06d}"},
        }
        if args.models:
            account["models"] = args.models
        path = os.path.join(args.directory, ident + ".json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(account, f)


if __name__ == "__main__":
    main()
