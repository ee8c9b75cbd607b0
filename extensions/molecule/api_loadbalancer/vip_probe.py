"""python3 vip_probe.py URL MAX: ask URL (HTTPS, certificate not checked) every 50 ms, like a client of the VIP.

Stops when the URL has failed and then answered again for 2 s, or after MAX seconds. Prints one JSON
object: the last answer before the failures, the first answer after them, the gap between the two,
how many requests failed, and how many times the answers came back (more than once is a flap).
"""
import json
import ssl
import sys
import time
import urllib.request

url, limit = sys.argv[1], float(sys.argv[2])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
# Straight to the VIP, whatever proxy the environment names.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
start = time.time()
last_ok = first_fail = first_ok_after = recovered_since = None
fails = recoveries = 0
while time.time() - start < limit:
    now = time.time()
    try:
        with opener.open(url, timeout=0.5) as answer:
            ok = answer.status == 200
    except Exception:  # noqa: BLE001 - any failure is a failure, that is what is measured
        ok = False
    if ok:
        if first_fail is None:
            last_ok = now
        else:
            if recovered_since is None:
                recoveries += 1
                recovered_since = now
                if first_ok_after is None:
                    first_ok_after = now
            if now - recovered_since >= 2:
                break
    else:
        fails += 1
        if first_fail is None:
            first_fail = now
        recovered_since = None
    time.sleep(0.05)
print(json.dumps({
    'last_ok_before': last_ok,
    'first_fail': first_fail,
    'first_ok_after': first_ok_after,
    'gap': round(first_ok_after - last_ok, 2) if first_ok_after and last_ok else None,
    'failed_requests': fails,
    'recoveries': recoveries,
}))
