SEED_POLICY = "def policy():\n    return 1\n"

REFERENCE_POLICY = "def policy():\n    return 15\n"
"""The toy reference solver: skill 15 wins every level up to 14, level 15 in 2 of 3 seeds."""
