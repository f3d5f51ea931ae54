using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Rollouts;

/// <summary>How the advantage of a rollout is spread over its tokens.</summary>
public enum CreditAssignment
{
    /// <summary>The episode's advantage on every policy token (GRPO).</summary>
    Episode,

    /// <summary>Token-level credit from the prefix tree of the group's rollouts (<see cref="Advantages.PrefixTreeCredit"/>).</summary>
    PrefixTree,
}

/// <summary>The engine that decodes the rollouts.</summary>
public enum RolloutDecoder
{
    /// <summary>The TorchSharp policy itself (<see cref="Generation.PolicyGenerator"/>).</summary>
    TorchSharp,

    /// <summary>
    /// ONNX Runtime on an export of the current weights, made before every rollout batch (as RL frameworks decode with an
    /// inference engine and train with another). The trainer's recomputed log-probabilities absorb the tiny numerical
    /// difference between the engines (see <see cref="Training.PolicyGradientOptions.OldLogProbs"/>).
    /// </summary>
    OnnxRuntime,
}

/// <summary>Options of <see cref="AgentRlTrainer"/>.</summary>
public sealed class AgentRlOptions
{
    /// <summary>Rollouts per task (the group whose rewards are compared). Default 8.</summary>
    [Range(2, 1024)] public int GroupSize { get; set; } = 8;

    /// <summary>Tasks per step (groups per rollout batch), drawn round-robin from the suites. Default 4.</summary>
    [Range(1, 4096)] public int TasksPerStep { get; set; } = 4;

    /// <summary>Sampling temperature of the rollouts (the trainer's log-probabilities assume 1). Default 1.</summary>
    [Range(0.05, 10.0)] public double Temperature { get; set; } = 1.0;

    /// <summary>
    /// Nucleus (top-p) truncation of the rollout sampler: each token is drawn from the smallest set of most likely tokens
    /// whose probability reaches this value. Below 1 it removes the rare "slip" tokens a near-deterministic policy samples
    /// at temperature 1 (a malformed call, a wrong digit), which otherwise fail rollouts the greedy policy solves and draw
    /// the gradient to pushing down tokens greedy decoding never picks. The trainer's log-probabilities stay those of the
    /// full distribution (the recorded and recomputed values still match). Default 1 (off).
    /// </summary>
    [Range(1e-5, 1.0)] public double TopP { get; set; } = 1.0;

    /// <summary>Turn limit of a rollout. Default 8.</summary>
    [Range(1, 1000)] public int MaxTurns { get; set; } = 8;

    /// <summary>Most tokens the policy may write per turn. Default 192.</summary>
    [Range(1, 1_000_000)] public int MaxNewTokensPerTurn { get; set; } = 192;

    /// <summary>Context budget of an episode in tokens (at most the model's positions). Default 1024.</summary>
    [Range(16, 1_000_000)] public int MaxTokens { get; set; } = 1024;

    /// <summary>Timeout of one tool call. Default 5 s.</summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Dynamic sampling (DAPO): drop groups whose rewards are all equal; they carry no signal. Default on.</summary>
    public bool DynamicSampling { get; set; } = true;

    /// <summary>
    /// Dynamic sampling with refill (DAPO's over-sampling): when <see cref="DynamicSampling"/> dropped groups, the step
    /// rolls out further batches of <see cref="TasksPerStep"/> tasks until at least <see cref="TasksPerStep"/> groups are
    /// kept or this many batches have been rolled out, and trains on every kept group. A near-solved suite drops most of
    /// its groups; refill keeps each update full of groups with signal, at the price of more rollouts per step. In
    /// asynchronous training the step takes finished groups until as many are kept or this many batches' worth have
    /// arrived. 1 = no refill. Default 1.
    /// </summary>
    [Range(1, 64)] public int MaxRolloutBatches { get; set; } = 1;

    /// <summary>Compute advantages separately for the clean and the noisy rollouts of a group (NoisyAgent). Default on.</summary>
    public bool SeparateNoisyAdvantages { get; set; } = true;

    /// <summary>
    /// Common random numbers: the noisy rollouts of a group share one episode seed, so they meet the same tool failures
    /// and the same user noise wherever they make the same calls, and their rewards differ by what the policy did, not by
    /// the noise drawn (the clean rollouts share another). Off: every rollout draws its own. Default on.
    /// </summary>
    public bool SharedEpisodeSeeds { get; set; } = true;

    /// <summary>
    /// Off-policy guidance (LUFFY, Yan et al. 2025): in each subgroup (clean, noisy) of a group, the suite's scripted
    /// expert (<see cref="Agentic.Core.Agents.ITaskSuite.CreateExpert"/>) also plays the task, with the subgroup's episode seed and noise and
    /// the policy's turn limit; a successful episode that fits <see cref="MaxTokens"/> joins the subgroup's advantages
    /// as one more rollout (<see cref="RolloutGroup.Guidance"/>), its tokens encoded with the chat template and carrying
    /// loss. Where the policy's samples all fail but the expert succeeds, the group then has signal toward what worked,
    /// which sampling alone finds rarely; where they all succeed, the expert adds none. Success rates, the curriculum and
    /// the scheduler see only the policy's rollouts. Default off.
    /// </summary>
    public bool ExpertGuidance { get; set; }

    /// <summary>
    /// Recovery guidance: in each subgroup (clean, noisy) of a group, a failed policy rollout of two or more turns (the
    /// first, in group order, that the expert can recover) is replayed in a fresh episode with its seed and noise, and the
    /// suite's scripted expert takes over from the latest of the policy's own states (its second turn or later) from
    /// which it still succeeds; the recovered episode joins the subgroup's advantages as one more rollout
    /// (<see cref="RolloutGroup.Guidance"/>, <see cref="Rollout.IsRecovery"/>), loss on the expert's turns only. Where
    /// <see cref="ExpertGuidance"/> shows complete expert episodes from the task's start, this shows how to go on from the
    /// states the policy's own mistakes lead to (a misspelt search, a miscopied answer after a right note), which
    /// demonstrations never contain: DAgger's states, with GRPO's credit. Turns the loop flagged as malformed are not
    /// replayed. Both may be on. Default off.
    /// </summary>
    public bool ExpertRecovery { get; set; }

    /// <summary>
    /// How a rollout's advantage is spread over its tokens: <see cref="CreditAssignment.Episode"/> (GRPO: the episode's
    /// advantage on every policy token) or <see cref="CreditAssignment.PrefixTree"/> (each token gets the change in the
    /// mean reward of the group's rollouts that share its prefix, see <see cref="Advantages.PrefixTreeCredit"/>).
    /// Default <see cref="CreditAssignment.Episode"/>.
    /// </summary>
    public CreditAssignment Credit { get; set; } = CreditAssignment.Episode;

    /// <summary>
    /// Task replay (in the spirit of prioritized level replay, Jiang et al. 2021): the chance that a group replays a
    /// training task whose last group was partly solved (some rollouts succeeded, some failed) instead of drawing a new
    /// one. Such a task is where the policy can still learn; a task leaves the replay buffer when a group solves it in
    /// every rollout or in none, or after <see cref="MaxReplays"/> replays. Replayed groups get fresh episode and noise
    /// seeds. 0 = off. Default 0.
    /// </summary>
    [Range(0.0, 1.0)] public double ReplayFraction { get; set; }

    /// <summary>
    /// Difficulty filter: a subgroup (the clean or the noisy rollouts of a group) in which more than this share of the
    /// policy's rollouts succeeded carries no loss (its advantages become 0; a group left without any is dropped like
    /// one dynamic sampling drops). A subgroup the policy mostly solves teaches it to avoid the sampling slips of its
    /// few failures, which greedy decoding does not make; one it mostly fails holds the rare successes on tasks that
    /// greedy decoding gets wrong. Below 1 the update follows only the latter. 1 = off. Default 1.
    /// </summary>
    [Range(0.0, 1.0)] public double MaxSubgroupSuccess { get; set; } = 1.0;

    /// <summary>Most tasks the replay buffer holds (the oldest leaves first). Default 64.</summary>
    [Range(1, 100_000)] public int ReplayCapacity { get; set; } = 64;

    /// <summary>Most times one task is replayed. Default 8.</summary>
    [Range(1, 1000)] public int MaxReplays { get; set; } = 8;

    /// <summary>The engine that decodes the rollouts. Default <see cref="RolloutDecoder.TorchSharp"/>.</summary>
    public RolloutDecoder Decoder { get; set; } = RolloutDecoder.TorchSharp;

    /// <summary>Seed of task sampling, episode seeds and noise seeds.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
