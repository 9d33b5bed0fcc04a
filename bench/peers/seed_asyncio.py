#!/usr/bin/python3
"""seed_asyncio.py - the seed guide's own design, as a benchmark peer.

This is the bulk updater that "Troubleshooting 429 Too Many Requests on Bulk
User Updates" describes, written as faithfully as its prose and its two code
samples allow, so that gcu can be measured against it on the same simulated
org. It is deliberately not improved: where the guide's code and its prose
disagree, the code wins, and every such choice is marked "seed:" below.

  * asyncio + aiohttp, one ClientSession, asyncio.Semaphore(6) around the
    whole work for one user (the guide's UserUpdateController);
  * for each user a GET /api/v2/users/{id} for its version, then the PATCH
    with id + version + the changed fields (guide section 3);
  * every request goes through a tenacity decorator with
    stop_after_attempt(5) and wait_exponential(multiplier=1, min=2, max=30)
    that retries aiohttp.ClientResponseError only (guide section 4);
  * on a 429 the request sleeps Retry-After plus a jitter of 0-1.5 s and
    then raises, so tenacity waits its own backoff on top and retries;
  * 5xx raises the same exception, so it shares the 429 policy (the guide's
    prose asks for a separate 10-120 s policy, its code does not have one);
  * a 409 breaks out of the retry loop, re-reads the user and resends with
    the new version (guide edge case 2); after three conflicts in a row the
    user is given up (the guide's circuit breaker, without the later retry).

Time scaling: the guide's durations are meant for a 60-second window. The
simulator can run a scaled minute (a 3-second window is 20x faster), so
every duration the design chooses itself (the tenacity backoff, the jitter,
the Retry-After default) is multiplied by --time-scale (e.g. 0.05). The
Retry-After the server sends is already in the scaled time and is used as is.

Routing changes (routingSkills, routingStatus) go to the endpoints the real
platform takes them on - PATCH .../routingskills/bulk and PUT
.../routingstatus - which carry no version, so no GET precedes them.

Input: change records, one JSON object per line:
    {"id": "<uuid>", "changes": {"title": "Lead", ...}}
Output: one JSON line per user on stdout:
    {"id", "status": "ok"|"failed", "http", "attempts", "error"}
and a one-line summary on stderr. Exit 0 if every user is ok, 1 otherwise,
64 on bad usage, 77 if no token could be had.

Credentials come from the environment only: GCU_CLIENT_ID,
GCU_CLIENT_SECRET, GCU_API_BASE (the API's base URL) and optionally
GCU_LOGIN_BASE (the token endpoint's base, default GCU_API_BASE).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time

import aiohttp
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

MAX_CONCURRENCY = 6  # the guide's Semaphore(6)
MAX_ATTEMPTS = 5  # stop_after_attempt(5)
CONFLICTS_BEFORE_GIVING_UP = 3  # the guide's three consecutive 409s

# Fields the platform takes outside the user PATCH.
ROUTING_FIELDS = ("routingSkills", "routingStatus")


class VersionConflict(Exception):
    """A 409: the version sent is not the user's current one (seed: the
    guide raises ValueError("VersionConflict"); a class says the same)."""


class Controller:
    """The guide's UserUpdateController: one session, one token, one
    semaphore, and the retrying request helpers."""

    def __init__(self, session, base, token, scale):
        self.session = session
        self.base = base.rstrip("/")
        self.scale = scale
        self.semaphore = asyncio.Semaphore(MAX_CONCURRENCY)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # Attempts per user, kept for the output line.
        self.attempts = {}

        # The guide's decorator, built here so that its durations can be
        # scaled: wait_exponential(multiplier=1, min=2, max=30) at scale 1.
        self.retrying = retry(
            stop=stop_after_attempt(MAX_ATTEMPTS),
            wait=wait_exponential(multiplier=1 * scale, min=2 * scale, max=30 * scale),
            retry=retry_if_exception_type((aiohttp.ClientResponseError,)),
            reraise=True,
        )

    async def _check(self, response, user_id):
        """Turns a response into a result or an exception, as the guide's
        execute_patch_with_retry does."""
        self.attempts[user_id] = self.attempts.get(user_id, 0) + 1
        if response.status == 429:
            # seed: int(Retry-After), default uniform(2, 5). The value is
            # parsed as a float here, since a scaled window sends fractions
            # (the real platform sends whole seconds, where both agree).
            header = response.headers.get("Retry-After")
            try:
                retry_after = float(header)
            except (TypeError, ValueError):
                retry_after = random.uniform(2, 5) * self.scale
            # Jitter against synchronised retries across workers.
            jitter = random.uniform(0, 1.5) * self.scale
            await asyncio.sleep(retry_after + jitter)
            raise aiohttp.ClientResponseError(
                request_info=response.request_info,
                history=response.history,
                status=429,
                headers=response.headers,
            )
        if response.status >= 500:
            raise aiohttp.ClientResponseError(
                request_info=response.request_info,
                history=response.history,
                status=response.status,
                headers=response.headers,
            )
        if response.status == 409:
            raise VersionConflict()
        # Any other 4xx: raise_for_status() raises ClientResponseError,
        # which the decorator retries too (seed: it does not tell them apart).
        response.raise_for_status()
        return await response.json(content_type=None)

    async def request(self, method, path, user_id, body=None):
        """One request through the guide's retry decorator."""

        @self.retrying
        async def attempt():
            url = self.base + path
            async with self.session.request(
                method, url, headers=self.headers, json=body
            ) as response:
                return await self._check(response, user_id)

        return await attempt()

    async def update_user(self, change):
        """GET the user for its version, PATCH the changes; re-read on 409.
        Returns the output record for this user."""
        user_id = change["id"]
        changes = change.get("changes", {})
        user_fields = {k: v for k, v in changes.items() if k not in ROUTING_FIELDS}
        result = {"id": user_id, "status": "ok", "http": 200, "attempts": 0, "error": None}
        async with self.semaphore:
            try:
                if user_fields:
                    await self._patch_user(user_id, user_fields)
                if "routingSkills" in changes:
                    await self._routing_skills(user_id, changes["routingSkills"])
                if "routingStatus" in changes:
                    await self.request(
                        "PUT",
                        f"/api/v2/users/{user_id}/routingstatus",
                        user_id,
                        {"status": changes["routingStatus"]},
                    )
            except aiohttp.ClientResponseError as e:
                result.update(status="failed", http=e.status, error=f"HTTP {e.status}")
            except VersionConflict:
                result.update(status="failed", http=409, error="version conflict")
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                # seed: connection errors are not in the retry predicate.
                result.update(status="failed", http=0, error=type(e).__name__)
        result["attempts"] = self.attempts.get(user_id, 0)
        return result

    async def _patch_user(self, user_id, fields):
        """Guide section 3: id + current version + the fields; a 409 means
        re-fetch and resend, never resend the stale payload."""
        path = f"/api/v2/users/{user_id}"
        conflicts = 0
        while True:
            user = await self.request("GET", path, user_id)
            payload = {"id": user_id, "version": user["version"], **fields}
            try:
                await self.request("PATCH", path, user_id, payload)
                return
            except VersionConflict:
                conflicts += 1
                if conflicts >= CONFLICTS_BEFORE_GIVING_UP:
                    raise

    async def _routing_skills(self, user_id, skills):
        """Skills go to the bulk endpoint (at most 50 a call); the guide's
        list form [{"id", "level"}] and the map form {id: level} both work."""
        if isinstance(skills, dict):
            items = [{"id": k, "proficiency": v} for k, v in skills.items() if v is not None]
        else:
            items = [{"id": s["id"], "proficiency": s.get("proficiency", s.get("level"))}
                     for s in skills]
        for i in range(0, len(items), 50):
            await self.request(
                "PATCH", f"/api/v2/users/{user_id}/routingskills/bulk", user_id,
                items[i:i + 50])


async def get_token(session, login_base, client_id, secret):
    """Client credentials grant; the secret travels in the Basic header."""
    auth = aiohttp.BasicAuth(client_id, secret)
    async with session.post(
        login_base.rstrip("/") + "/oauth/token",
        auth=auth,
        data={"grant_type": "client_credentials"},
    ) as response:
        response.raise_for_status()
        return (await response.json(content_type=None))["access_token"]


def read_changes(stream):
    """Change records, one a line; blank lines are skipped."""
    changes = []
    for n, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            sys.exit(f"seed_asyncio: line {n}: {e}")
        changes.append(record)
    return changes


class Fatal(Exception):
    """Stops the run before any user is touched; carries the exit code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


async def run(args, changes):
    """Takes a token, updates every user, prints the results; returns the
    number of users that ended ok."""
    base = os.environ.get("GCU_API_BASE")
    client_id = os.environ.get("GCU_CLIENT_ID")
    secret = os.environ.get("GCU_CLIENT_SECRET")
    if not (base and client_id and secret):
        raise Fatal(64, "GCU_API_BASE, GCU_CLIENT_ID and GCU_CLIENT_SECRET are needed")
    login = os.environ.get("GCU_LOGIN_BASE", base)
    async with aiohttp.ClientSession() as session:
        try:
            token = await get_token(session, login, client_id, secret)
        except (aiohttp.ClientError, KeyError, ValueError) as e:
            raise Fatal(77, f"no token: {type(e).__name__}") from None
        controller = Controller(session, base, token, args.time_scale)
        # The guide's pattern: every user's coroutine at once, the
        # semaphore bounds how many run.
        results = await asyncio.gather(*(controller.update_user(c) for c in changes))
    for r in results:
        print(json.dumps(r, separators=(",", ":")))
    return sum(r["status"] == "ok" for r in results)


def main():
    parser = argparse.ArgumentParser(
        description="The seed guide's bulk user updater (asyncio, aiohttp, tenacity).")
    parser.add_argument("file", nargs="?", default="-", help="change records (NDJSON), - for stdin")
    parser.add_argument("--time-scale", type=float,
                        default=float(os.environ.get("PEER_TIME_SCALE", "1")),
                        help="multiply the design's own durations (default 1; 0.05 for a "
                             "3-second window)")
    args = parser.parse_args()
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.file == "-":
        changes = read_changes(sys.stdin)
    else:
        with open(args.file, encoding="utf-8") as f:
            changes = read_changes(f)
    start = time.monotonic()
    try:
        ok = asyncio.run(run(args, changes))
    except Fatal as e:
        print(f"seed_asyncio: {e}", file=sys.stderr)
        return e.code
    print(f"seed_asyncio: {ok}/{len(changes)} users ok in {time.monotonic() - start:.1f} s",
          file=sys.stderr)
    return 0 if ok == len(changes) else 1

if __name__ == "__main__":
    sys.exit(main())
