using Agentic.Core.Agents;
using Agentic.Training.Evaluation;
using Agentic.Training.Tasks.LongContext;
using Agentic.Training.Tasks.SearchQa;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="AnswerSimilarityReward"/>.</summary>
public sealed class AnswerSimilarityRewardOptions
{
    /// <summary>
    /// Gets or sets how to read the gold answer of a task; a task whose gold answer is <see langword="null"/> scores 0.
    /// Default: <see cref="SearchQaTask.Answer"/> or <see cref="LongContextTask.Answer"/>, else <see langword="null"/>.
    /// </summary>
    public Func<AgentTask, string?> GoldAnswer { get; set; } = static task => task switch
    {
        SearchQaTask s => s.Answer,
        LongContextTask l => l.Answer,
        _ => null,
    };

    /// <summary>
    /// Gets or sets whether an answer given after an unretried tool failure (<see cref="NoiseAwareReward.HasUnretriedFailure"/>)
    /// still earns partial credit. Default false: like the outcome under <see cref="NoiseAwareReward"/>, an answer the
    /// agent could not have read from a tool earns nothing.
    /// </summary>
    public bool CreditAfterUnretriedFailure { get; set; }

    /// <summary>Throws when an option is invalid.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><see cref="GoldAnswer"/> is null.</exception>
    public void Validate()
    {
        if (GoldAnswer is null) throw new System.ComponentModel.DataAnnotations.ValidationException("GoldAnswer must not be null.");
    }
}

/// <summary>
/// Character-level partial credit for a near-miss answer: 1 minus the Levenshtein distance between the normalized final
/// answer (the last complete <c>&lt;answer&gt;</c> block of the assistant messages) and the normalized gold answer,
/// divided by the longer length; 0 without an answer or a gold answer, and (unless
/// <see cref="AnswerSimilarityRewardOptions.CreditAfterUnretriedFailure"/>) after an unretried tool failure. Named <c>answer_similarity</c>.
/// </summary>
/// <remarks>
/// Exact match and token F1 are all-or-nothing on a one-token answer such as a six-digit code or a place name, so an
/// answer with one wrong digit scores like no answer, and a group whose rollouts all miss by a character or two carries
/// no policy-gradient signal. This term ranks those near-misses, so the advantage points toward the copy that is closer
/// to the evidence. Give it a weight below the outcome term's, so that a success still beats every near-miss.
/// </remarks>
public sealed class AnswerSimilarityReward : RewardShaper
{
    /// <summary>The default name, <c>answer_similarity</c>.</summary>
    public const string DefaultName = "answer_similarity";

    private readonly Func<AgentTask, string?> _goldAnswer;
    private readonly bool _creditAfterFailure;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public AnswerSimilarityReward(AnswerSimilarityRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new AnswerSimilarityRewardOptions();
        options.Validate();
        _goldAnswer = options.GoldAnswer;
        _creditAfterFailure = options.CreditAfterUnretriedFailure;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (_goldAnswer(trajectory.Task) is not { } gold) return 0;
        if (!_creditAfterFailure && NoiseAwareReward.HasUnretriedFailure(trajectory)) return 0;
        var predicted = AssistantAnswers.Final(trajectory);
        return predicted is null ? 0 : Similarity(AnswerMetrics.Normalize(predicted), AnswerMetrics.Normalize(gold));
    }

    /// <summary>1 - Levenshtein(a, b) / max(|a|, |b|): 1 for equal strings, 0 for two empty strings or nothing in common.</summary>
    /// <param name="a">One string.</param>
    /// <param name="b">The other.</param>
    public static double Similarity(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int longer = Math.Max(a.Length, b.Length);
        return longer == 0 ? 0 : 1 - (double)Levenshtein(a, b) / longer;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
