using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>
/// The task outcome: 1 when the environment reported success (<see cref="Trajectory.Success"/>, that is
/// <c>Info["success"] &gt; 0</c>); otherwise the environment's own reward <see cref="Trajectory.Reward"/> clamped to
/// [0, 1] (partial credit such as the shop suite's attribute match; a negative or NaN reward scores 0). Named <c>outcome</c>.
/// </summary>
public sealed class OutcomeReward : RewardShaper
{
    /// <summary>The default name, <c>outcome</c>.</summary>
    public const string DefaultName = "outcome";

    /// <summary>Creates the shaper.</summary>
    public OutcomeReward()
        : base(DefaultName)
    {
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (trajectory.Success) return 1;
        double reward = trajectory.Reward;
        return double.IsNaN(reward) ? 0 : Math.Clamp(reward, 0, 1);
    }
}
