from toy_envs.mutations import bump


def mutate_policy(source, rng):
    return bump(source, "SKILL", rng, -1, 4)
