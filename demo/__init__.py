"""Generator of the bundled demo VODs (synthetic audio + chat exports + ground truth).

This package is *not* part of the installed ``dougchat_assets`` package: it needs
espeak-ng, sox and ffmpeg, which only the person regenerating the demo must have.  The
runtime and the tests read its committed output (``demo/vods`` and ``demo/truth``) instead.
Run it with ``python demo/generate.py`` (see ``demo/README.md``).
"""
