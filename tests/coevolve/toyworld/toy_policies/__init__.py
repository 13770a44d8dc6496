SEED_POLICY = "def policy():\n    return 1\n"
