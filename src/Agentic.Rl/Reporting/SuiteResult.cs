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

    /// <summary>95% interval of <see cref="CleanDelta"/> from the paired per-task outcomes, when known (<see cref="WithPairedDeltaIntervals"/>).</summary>
    public ConfidenceInterval? CleanDeltaCi { get; init; }

    /// <summary>95% interval of <see cref="NoisyDelta"/> from the paired per-task outcomes, when known.</summary>
    public ConfidenceInterval? NoisyDeltaCi { get; init; }

    /// <summary>
    /// A copy with the intervals of both differences (<see cref="ConfidenceInterval.PairedDifference(IReadOnlyList{bool}, IReadOnlyList{bool}, double)"/>),
    /// from the outcome of every held-out task before and after RL, in the same task order and under the same seeds.
    /// </summary>
    /// <param name="sftClean">Per-task success of the SFT policy, clean.</param>
    /// <param name="rlClean">Per-task success of the RL policy, clean.</param>
    /// <param name="sftNoisy">Per-task success of the SFT policy, noisy.</param>
    /// <param name="rlNoisy">Per-task success of the RL policy, noisy.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentException">Paired lists differ in length.</exception>
    public SuiteResult WithPairedDeltaIntervals(IReadOnlyList<bool> sftClean, IReadOnlyList<bool> rlClean, IReadOnlyList<bool> sftNoisy, IReadOnlyList<bool> rlNoisy) => this with
    {
        CleanDeltaCi = ConfidenceInterval.PairedDifference(sftClean, rlClean),
        NoisyDeltaCi = ConfidenceInterval.PairedDifference(sftNoisy, rlNoisy),
    };

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
