"""Run configuration: one frozen dataclass, written whole into every run directory."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a co-evolution run."""

    domain: str = "minigrid"
    """Domain: minigrid, pygame or driving (or one of COEVOLVE_EXTRA_DOMAINS)."""
    env_package: str | None = None
    """Module path of the domain's environment side, recorded from the domain (not a flag): resume, heldout and report find the domain by it."""
    policy_package: str | None = None
    """Module path of the domain's policy side, likewise."""
    iterations: int = 10
    """Co-evolution iterations after the seed iteration 0."""
    episodes: int = 20
    """Episodes per payoff cell (the paper uses 100)."""
    candidates: int = 4
    """Candidates K per designer per iteration."""
    seed_env: str | None = None
    """Environment program file to start from (iteration 0); default: the domain's seed level. Checked for feasibility, and copied into the run."""
    seed_policy: str | None = None
    """Policy program file to start from (iteration 0); default: the domain's seed policy. Checked on the seed level, and copied into the run."""
    meta_solver: str = "nash"
    """Mixture over the policy archive the designers answer: nash (the MSNE: COvolve), latest (the newest policy: UED-Greedy) or uniform (every policy alike: UED-Uniform)."""
    env_search: str = "narrow"
    """How the environment designer searches: narrow (one round of K mutants of the newest level, more only when all are rejected: COvolve) or climb (also when the mixture solves every accepted candidate, another round mutating the hardest of them, up to three rounds in all)."""
    env_selection: str = "minimax"
    """Which accepted environment candidate is kept: minimax (the lowest mixture success: COvolve) or regret (the largest reference-solver success minus the mixture's, as in PAIRED; a level the domain's reference solver completes in under half its episodes is rejected)."""
    policy_objective: str = "new-level"
    """What the policy designer's search and choice maximise: new-level (success on the new environment: COvolve) or mixture (half that, half the success against the environment player's MSNE mixture over the archive: a PSRO best response that keeps the levels older policies solved)."""
    policy_search: str = "narrow"
    """How the policy designer searches when the parent fails the new level: narrow (K climbs from the parent, --search-steps each: COvolve) or wide (twice the steps, the K climbs starting in turn from the parent and the other archive policies that do best on the new level)."""
    designer: str = "offline"
    """Designer back end of both roles: offline (AST mutation, no network) or llm."""
    env_designer: str | None = None
    """Designer of environments (offline or llm); default: --designer."""
    policy_designer: str | None = None
    """Designer of policies (offline or llm); default: --designer."""
    model: str | None = None
    """LLM model name for --designer llm."""
    seed: int = 0
    """Base seed: designers' randomness and episode seeds derive from it."""
    workers: int = 0
    """Sandbox worker processes; 0 means one per core (per CPU of the Ray cluster with ray)."""
    executor: str = "local"
    """Where episodes run: local (worker processes on this machine) or ray (a Ray cluster)."""
    ray_address: str | None = None
    """Ray cluster address for --executor ray (e.g. auto, ray://HOST:10001); none starts Ray locally."""
    episode_seconds: float = 0.0
    """Wall-clock limit of one episode; 0 uses the domain's generous default."""
    memory_mb: int = 4096
    """Address-space limit of each program process, in MiB."""
    reuse: bool = True
    """Reuse episodes whose outcome is known (same start as an earlier episode of the pair that drew no randomness); --no-reuse plays every episode. Payoffs are identical either way."""
    sandbox: str = "auto"
    """The wall around programs: auto (bwrap if it works here, else process, with a warning), bwrap or process; config.json records the one in force."""
    check_seeds: int = 3
    """Seeded resets a feasibility check looks at."""
    max_mutations: int = 3
    """The offline designer applies 1..max_mutations operators per candidate."""
    search_steps: int = 12
    """The offline policy designer's hill-climbing steps per candidate (0: plain mutants)."""
    base_url: str | None = None
    """OpenAI-compatible endpoint for --designer llm (default: $OPENAI_BASE_URL, else OpenAI)."""
    repair_rounds: int = 2
    """Repair requests per LLM candidate that fails its checks, quoting the reason."""
    max_requests: int = 0
    """LLM budget: chat requests over the run, 0 for no limit; the run stops at an iteration boundary."""
    max_tokens: int = 0
    """LLM budget: prompt plus completion tokens over the run, 0 for no limit."""
    request_timeout: float = 120.0
    """Seconds before an LLM request is abandoned and retried."""
    replay: str | None = None
    """Answer LLM requests from this llm.jsonl transcript instead of the network."""
    temperature: float | None = None
    """LLM sampling temperature; none is sent unless given (reasoning models reject it)."""
    max_output_tokens: int = 0
    """LLM output-token limit per answer (max_completion_tokens on OpenAI, else max_tokens); 0 sends none."""
    reasoning_effort: str | None = None
    """LLM reasoning effort (none, minimal, low, medium, high); none is sent unless given."""
    llm_extra: str | None = None
    """JSON object merged into every LLM request body, e.g. '{"options": {"num_ctx": 16384}}' for Ollama."""
    llm_concurrency: int = 4
    """LLM requests in flight at once (1 for a server that serves one at a time); 0: no cap."""

    def designer_of(self, role: str) -> str:
        """The designer back end of ``role`` ("env" or "policy")."""
        return (self.env_designer if role == "env" else self.policy_designer) or self.designer

    def uses_llm(self) -> bool:
        """Whether either role is designed by the llm back end."""
        return "llm" in (self.designer_of("env"), self.designer_of("policy"))

    def to_dict(self) -> dict:
        """Plain dict for config.json."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        """Inverse of :meth:`to_dict`, ignoring unknown keys from other versions."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
