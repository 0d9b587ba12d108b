"""moto's standalone S3 server, checking signatures against the request as it was sent.

moto 5.2.1 rebuilds the URL it verifies a SigV4 signature against from werkzeug's `request.url`,
which decodes percent-escapes (`prefix=a%2Fb` becomes `prefix=a/b`), so every correctly signed
request whose query holds an escaped character fails with SignatureDoesNotMatch; boto3's own
`list_objects_v2(Prefix="a/")` does. This starts moto_server with that one place reading the raw
request target instead. Arguments are moto_server's (scripts/test-s3 runs it).
"""

import sys

from moto.core.responses import BaseResponse
from moto.server import main

_setup_class = BaseResponse.setup_class


def setup_class(self, request, full_url, headers, use_raw_body=False):
    _setup_class(self, request, full_url, headers, use_raw_body)
    environ = getattr(request, "environ", None)
    if environ and environ.get("RAW_URI"):
        self.uri = f"{request.scheme}://{request.host}{environ['RAW_URI']}"


BaseResponse.setup_class = setup_class

if __name__ == "__main__":
    sys.exit(main())
