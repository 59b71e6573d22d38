"""A round trip of the real mygpoclient (Debian's python3-mygpoclient) against a running
Balados Sync server, driven by mygpoclient_test.ts.

Usage: mygpoclient_roundtrip.py ROOT_URL USERNAME APP_PASSWORD

Every call goes through mygpoclient.api.MygPodderClient, which sends credentials only after
a 401 challenge and answers at most 3 challenges in its life: the whole run only works if
the server's sessionid cookie is accepted alone afterwards. Prints one JSON object with what
the client read; any check that fails raises (exit status 1).
"""
import datetime
import json
import sys

import mygpoclient
from mygpoclient import api, http

root, username, password = sys.argv[1:4]
FEED_A = "http://feeds.internal/a.xml"
FEED_B = "https://feeds.internal/b.xml"
FEED_C = "https://feeds.internal/c.xml"


def episode(n):
    return "https://cdn.internal/b/%d.mp3" % n


def now_iso(minutes_ago=0):
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    return at.strftime("%Y-%m-%dT%H:%M:%S")


client = api.MygPodderClient(username, password, root)
out = {"version": mygpoclient.__version__}

# Devices: created on first update (empty answer -> True), listed with strict shapes.
assert client.update_device_settings("gpodder-desk", "Desk", "desktop") is True
assert client.update_device_settings("phone", type="mobile") is True
assert client.update_device_settings("gpodder-desk", caption="My desk") is True
out["devices"] = sorted(
    [d.device_id, d.caption, d.type, d.subscriptions] for d in client.get_devices()
)

# Subscriptions, advanced API: sanitised URLs come back in update_urls.
result = client.update_subscriptions("gpodder-desk", ["feed://feeds.internal/a.xml", FEED_B])
assert isinstance(result.since, int)
out["update_urls"] = [list(pair) for pair in result.update_urls]
changes = client.pull_subscriptions("phone", 0)
out["pulled"] = sorted(changes.add)
assert changes.remove == []
removed = client.update_subscriptions("phone", [], [FEED_B])
later = client.pull_subscriptions("gpodder-desk", result.since)
out["pulled_since"] = {"add": sorted(later.add), "remove": sorted(later.remove)}
assert later.since >= result.since

# Subscriptions, simple API: PUT replaces the list (empty answer -> True), GET as JSON.
assert client.put_subscriptions("gpodder-desk", [FEED_A, FEED_C]) is True
out["simple"] = sorted(client.get_subscriptions("gpodder-desk"))

# Episode actions: upload, download since, the answer read by from_dictionary.
first = [
    api.EpisodeAction(FEED_B, episode(1), "play", "gpodder-desk", now_iso(30), 0, 120, 3600),
    api.EpisodeAction(FEED_B, episode(2), "download", "gpodder-desk", now_iso(29)),
    api.EpisodeAction(FEED_B, episode(3), "new", "phone", now_iso(28)),
]
since = client.upload_episode_actions(first)
assert isinstance(since, int)
everything = client.download_episode_actions(0)
out["all_actions"] = sorted(
    [a.action, a.episode, a.device, a.position, a.total] for a in everything.actions
)
second = [
    api.EpisodeAction(FEED_B, episode(1), "play", "phone", now_iso(1), 120, 900, 3600),
    api.EpisodeAction(FEED_B, episode(2), "delete", "phone", now_iso(1)),
]
client.upload_episode_actions(second)
newer = client.download_episode_actions(since)
out["since_actions"] = sorted([a.action, a.episode, a.device] for a in newer.actions)
phone_only = client.download_episode_actions(0, device_id="phone")
out["phone_actions"] = sorted([a.action, a.episode] for a in phone_only.actions)
podcast_only = client.download_episode_actions(0, podcast=FEED_B)
out["podcast_actions"] = len(podcast_only.actions)

# Favorites (saved episodes) in mygpoclient's public.Episode shape.
out["favorites"] = [[e.url, e.podcast_url] for e in client.get_favorite_episodes()]

# Settings.
client.set_settings("account", None, None, {"theme": "dark", "count": 3}, [])
client.set_settings("device", "gpodder-desk", None, {"auto_download": True}, [])
client.set_settings("account", None, None, {}, ["count"])
out["settings"] = {
    "account": client.get_settings("account"),
    "device": client.get_settings("device", "gpodder-desk"),
    "podcast": client.get_settings("podcast", FEED_A),
}

# More requests than challenges: only the cookie made them work.
for _ in range(5):
    client.get_devices()

# A wrong password: 401 challenges answered 3 times, then Unauthorized.
try:
    api.MygPodderClient(username, "wrong-" + password, root).get_devices()
    out["wrong_password"] = "accepted"
except http.Unauthorized:
    out["wrong_password"] = "Unauthorized"

print(json.dumps(out))
