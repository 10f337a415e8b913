"""
The LevStake web page: `python -m levstake.web` (or `make web`). FastAPI + Jinja2 server-rendered pages whose
live parts are pushed at every block from one block subscription (server-sent events); a small ES module talks
to the browser's wallet (EIP-6963, EIP-1193, EIP-5792 where offered). Every figure comes from
`levstake.previews`, every transaction from `levstake.txs`, simulated by `levstake.simulate` before the wallet
sees it. The server holds no key.
"""
