using Agentic.Core.Agents;
using Agentic.Rl.Rewards;

namespace Agentic.Rl.Rollouts;

/// <summary>One rollout of a group: its trajectory, whether it ran under noise, its shaped reward and advantage.</summary>
/// <param name="Trajectory">The episode.</param>
/// <param name="Noisy">Whether noise was injected into this rollout's environment.</param>
/// <param name="Reward">The shaped reward and its components.</param>
/// <param name="Advantage">The advantage computed within the group (and subgroup).</param>
public sealed record Rollout(Trajectory Trajectory, bool Noisy, RewardBreakdown Reward, double Advantage)
{
    /// <summary>
    /// Per-token advantages (index <c>t</c> is token <c>t</c> of <see cref="Agentic.Core.Agents.Trajectory.TokenIds"/>) when the
    /// trainer assigns token-level credit (<see cref="AgentRlOptions.Credit"/>); null when <see cref="Advantage"/> covers every token.
    /// </summary>
    public float[]? TokenAdvantages { get; init; }

    /// <summary>The event of a recovery rollout (<see cref="AgentRlOptions.ExpertRecovery"/>): the turn at which the scripted expert took over.</summary>
    public const string ExpertTakeoverEvent = "expert_takeover";

    /// <summary>Whether this is a recovery rollout: the policy's first turns, then the scripted expert's (<see cref="AgentRlOptions.ExpertRecovery"/>).</summary>
    public bool IsRecovery => Trajectory.Count(ExpertTakeoverEvent) > 0;
}

/// <summary>The rollouts of one task.</summary>
/// <param name="Suite">The suite the task came from.</param>
/// <param name="Task">The task.</param>
/// <param name="Rollouts">The group's rollouts.</param>
/// <param name="Dropped">Whether dynamic sampling dropped the group (all rewards equal within every subgroup).</param>
public sealed record RolloutGroup(string Suite, AgentTask Task, IReadOnlyList<Rollout> Rollouts, bool Dropped)
{
    /// <summary>Id of the <see cref="RolloutRequest"/> the group was generated for.</summary>
    public long RequestId { get; init; }

    /// <summary>
    /// Off-policy rollouts of the scripted expert that joined the group's advantages (<see cref="AgentRlOptions.ExpertGuidance"/>,
    /// <see cref="AgentRlOptions.ExpertRecovery"/>); empty without either. They are trained on with the group but are not among <see cref="Rollouts"/>.
    /// </summary>
    public IReadOnlyList<Rollout> Guidance { get; init; } = [];

    /// <summary>Version of the policy weights that generated every rollout of the group (0 in synchronous training).</summary>
    public int PolicyVersion { get; init; }
}
