using System.Globalization;

namespace Agentic.Rl.Rewards;

/// <summary>A reward shaper produced a score that cannot be used (NaN or an infinity).</summary>
public sealed class RewardException : Exception
{
    /// <summary>Initializes the exception.</summary>
    public RewardException()
    {
    }

    /// <summary>Initializes the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public RewardException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes the exception with a message and the exception that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RewardException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes the exception for the shaper <paramref name="shaperName"/> and its offending <paramref name="score"/>.</summary>
    /// <param name="shaperName">The name of the shaper (or weighted term) that produced the score.</param>
    /// <param name="score">The offending score.</param>
    public RewardException(string shaperName, double score)
        : base(string.Create(CultureInfo.InvariantCulture, $"Reward shaper '{shaperName}' produced a non-finite score ({score})."))
    {
        ShaperName = shaperName;
        Score = score;
    }

    /// <summary>Gets the name of the shaper that produced the score, if known.</summary>
    public string? ShaperName { get; }

    /// <summary>Gets the offending score (NaN when not known).</summary>
    public double Score { get; } = double.NaN;
}
