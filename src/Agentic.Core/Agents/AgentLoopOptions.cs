using System.ComponentModel.DataAnnotations;

namespace Agentic.Core.Agents;

/// <summary>Options of the agent loop.</summary>
public sealed class AgentLoopOptions
{
    /// <summary>Most assistant turns per episode.</summary>
    [Range(1, 1000)] public int MaxTurns { get; set; } = 8;

    /// <summary>Token budget of a whole episode (prompt, policy and observation tokens), for token policies.</summary>
    [Range(16, 1_000_000)] public int MaxTokens { get; set; } = 1024;

    /// <summary>Most new tokens per assistant turn.</summary>
    [Range(1, 100_000)] public int MaxNewTokensPerTurn { get; set; } = 192;

    /// <summary>How long one tool call may run before it is cancelled and reported to the agent as timed out.</summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sampling temperature of the policy (0 = greedy).</summary>
    [Range(0.0, 100.0)] public float Temperature { get; set; } = 1f;

    /// <summary>Nucleus sampling mass.</summary>
    [Range(1e-6, 1.0)] public float TopP { get; set; } = 1f;

    /// <summary>Top-k sampling (0 = off).</summary>
    [Range(0, int.MaxValue)] public int TopK { get; set; }

    /// <summary>Seed of the policy's sampling (each turn derives its own); null draws a fresh seed.</summary>
    public ulong? Seed { get; set; }

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (ToolTimeout <= TimeSpan.Zero) throw new ValidationException("ToolTimeout must be positive.");
    }
}
