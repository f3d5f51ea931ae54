namespace Agentic.Rl.Reporting;

/// <summary>
/// Success rates of one evaluation suite before (SFT) and after RL, on clean tools and under tool noise.
/// </summary>
/// <param name="Suite">Suite name.</param>
/// <param name="SftClean">Success rate of the SFT policy with clean tools.</param>
/// <param name="SftNoisy">Success rate of the SFT policy under tool noise.</param>
/// <param name="RlClean">Success rate of the RL policy with clean tools.</param>
/// <param name="RlNoisy">Success rate of the RL policy under tool noise.</param>
/// <param name="Episodes">Episodes per cell (policy x condition).</param>
public sealed record SuiteResult(string Suite, double SftClean, double SftNoisy, double RlClean, double RlNoisy, int Episodes)
{
    /// <summary>95% interval of <see cref="SftClean"/>, when known.</summary>
    public ConfidenceInterval? SftCleanCi { get; init; }

    /// <summary>95% interval of <see cref="SftNoisy"/>, when known.</summary>
    public ConfidenceInterval? SftNoisyCi { get; init; }

    /// <summary>95% interval of <see cref="RlClean"/>, when known.</summary>
    public ConfidenceInterval? RlCleanCi { get; init; }

    /// <summary>95% interval of <see cref="RlNoisy"/>, when known.</summary>
    public ConfidenceInterval? RlNoisyCi { get; init; }

    /// <summary>RL minus SFT success with clean tools.</summary>
    public double CleanDelta => RlClean - SftClean;

    /// <summary>RL minus SFT success under tool noise.</summary>
    public double NoisyDelta => RlNoisy - SftNoisy;

    /// <summary>A copy with the four 95% Wilson intervals computed from the rates and <see cref="Episodes"/>.</summary>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate is outside [0, 1] or <see cref="Episodes"/> is negative.</exception>
    public SuiteResult WithWilsonIntervals() => this with
    {
        SftCleanCi = ConfidenceInterval.Wilson(SftClean, Episodes),
        SftNoisyCi = ConfidenceInterval.Wilson(SftNoisy, Episodes),
        RlCleanCi = ConfidenceInterval.Wilson(RlClean, Episodes),
        RlNoisyCi = ConfidenceInterval.Wilson(RlNoisy, Episodes),
    };
}
