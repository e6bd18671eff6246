"""What the tests and the benchmarks share, and nothing the app needs: a real `streamlit run` on
loopback and Debian's Chromium (`browser`), Streamlit's websocket protocol without a browser
(`stclient`), a class of sessions (`load`), hostile inputs (`hostile`). tests/ and bench/ import
this package, never each other."""
