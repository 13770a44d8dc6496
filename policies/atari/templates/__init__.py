"""Starter policy programs, one file per game, read as source (not imported).

A game's file holds its trainable functions and ``act``; :func:`policies.atari.template_source`
puts the shared helpers of ``primitives.py`` after its imports, making it self-contained.
"""
