"""Uploads a file with flowdock-api-wrapper and downloads it again, against a Tributary server.

Usage: python flowdock_wrapper_files.py BASE_URL API_TOKEN ORG FLOW FILE

The wrapper's own calls assert what Flowdock answered: 201 on upload, exactly one 302 and
then 200 on download. Prints the stored message as JSON.
"""
import json
import sys

import flowdock

base_url, token, org, flow_name, path = sys.argv[1:6]
# The module-level base URL every call of the wrapper uses.
flowdock.API = base_url
flow = flowdock.connect(token=token, org=org, flow=flow_name)
message = flow.upload(path)
data = flow.download(message["content"]["path"])
with open(path, "rb") as f:
    original = f.read()
assert data == original, (len(data), len(original))
print(json.dumps({"message": message, "downloaded": len(data)}))
