using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Agentic.Core.Randomness;

namespace Agentic.Training.Noise;

/// <summary>
/// The noise policy for training (NoisyAgent): picks which rollouts of a group are noisy and raises the
/// <see cref="NoiseLevel"/> when the success gap between clean and noisy rollouts closes.
/// </summary>
/// <remarks>
/// <para>
/// Per group: call <see cref="SelectNoisyRollouts"/>, run the rollouts (noisy ones in <see cref="CreateNoisyEnvironment"/>,
/// or with <see cref="CreateToolNoiseOptions"/> and <see cref="CreateUserNoiseOptions"/>), compute advantages separately for the clean and noisy subgroups, then
/// <see cref="Record"/> each outcome. Once both windows hold <see cref="NoiseCurriculumOptions.Window"/> outcomes and
/// <c>clean rate − noisy rate ≤ GapThreshold</c>, the level rises one step (a level raises both the kinds and the rates,
/// see <see cref="ToolNoiseOptions.ForLevel"/>) and both windows are cleared so the new level is measured afresh.
/// </para>
/// <para>
/// Researchers subclass: <see cref="CountNoisyRollouts"/>, <see cref="ShouldRaiseLevel"/>, <see cref="NextLevel"/>,
/// <see cref="OnLevelRaised"/> and the two option factories are <see langword="protected"/>/<see langword="public"/> virtual.
/// <see cref="GetState"/>/<see cref="SetState"/> and <see cref="ToJson"/>/<see cref="RestoreJson"/> carry the whole state
/// (level, windows, generator), so a resumed run continues exactly. Instances are not thread-safe.
/// </para>
/// </remarks>
[Experimental(DiagnosticId)]
public class NoiseCurriculum
{
    /// <summary>The diagnostic id of the experimental noise curriculum API.</summary>
    public const string DiagnosticId = "AGENTIC030";

    private readonly Queue<bool> _clean = new();
    private readonly Queue<bool> _noisy = new();
    private DeterministicRandom _random;

    /// <summary>Initializes a curriculum at <see cref="NoiseCurriculumOptions.InitialLevel"/>.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (fraction or threshold not finite or fraction outside [0, 1], window below 1, undefined levels).</exception>
    public NoiseCurriculum(NoiseCurriculumOptions? options = null)
    {
        Options = options ?? new NoiseCurriculumOptions();
        if (!(Options.NoisyFraction is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.NoisyFraction, "NoisyFraction must be in [0, 1].");
        }

        if (Options.Window < 1 || !double.IsFinite(Options.GapThreshold)
            || !Enum.IsDefined(Options.InitialLevel) || !Enum.IsDefined(Options.MaxLevel) || Options.InitialLevel > Options.MaxLevel)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Window must be at least 1, GapThreshold finite, and InitialLevel <= MaxLevel.");
        }

        Level = Options.InitialLevel;
        _random = new DeterministicRandom(Options.Seed);
    }

    /// <summary>Gets the options.</summary>
    public NoiseCurriculumOptions Options { get; }

    /// <summary>Gets the current level.</summary>
    public NoiseLevel Level { get; private set; }

    /// <summary>Gets how many times the level has risen.</summary>
    public int LevelRaises { get; private set; }

    /// <summary>Gets the success rate over the clean window, or <see langword="null"/> when it is empty.</summary>
    public double? CleanSuccessRate => Rate(_clean);

    /// <summary>Gets the success rate over the noisy window, or <see langword="null"/> when it is empty.</summary>
    public double? NoisySuccessRate => Rate(_noisy);

    /// <summary>Decides which rollouts of a group get noise.</summary>
    /// <param name="groupSize">The number of rollouts in the group.</param>
    /// <returns>One flag per rollout, <see langword="true"/> for noisy; exactly <see cref="CountNoisyRollouts"/> are set, at seeded random positions.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groupSize"/> is negative.</exception>
    public IReadOnlyList<bool> SelectNoisyRollouts(int groupSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupSize);
        int noisy = Level == NoiseLevel.None ? 0 : Math.Clamp(CountNoisyRollouts(groupSize), 0, groupSize);
        var flags = new bool[groupSize];
        for (int i = 0; i < noisy; i++)
        {
            flags[i] = true;
        }

        _random.Shuffle(flags);
        return flags;
    }

    /// <summary>Records the outcome of one rollout and raises the level when the gap has closed.</summary>
    /// <param name="noisy">Whether the rollout was noisy.</param>
    /// <param name="success">Whether it succeeded.</param>
    /// <returns><see langword="true"/> when this outcome raised the level.</returns>
    public bool Record(bool noisy, bool success)
    {
        var window = noisy ? _noisy : _clean;
        window.Enqueue(success);
        while (window.Count > Options.Window)
        {
            window.Dequeue();
        }

        if (_clean.Count < Options.Window || _noisy.Count < Options.Window || Level >= Options.MaxLevel
            || !ShouldRaiseLevel(Rate(_clean)!.Value, Rate(_noisy)!.Value))
        {
            return false;
        }

        NoiseLevel previous = Level;
        NoiseLevel next = NextLevel(previous);
        if (next <= previous)
        {
            return false;
        }

        Level = next > Options.MaxLevel ? Options.MaxLevel : next;
        LevelRaises++;
        _clean.Clear();
        _noisy.Clear();
        OnLevelRaised(previous, Level);
        return true;
    }

    /// <summary>Creates the tool noise of a noisy rollout at the current level.</summary>
    /// <param name="seed">The rollout's noise seed.</param>
    /// <returns>New options.</returns>
    public virtual ToolNoiseOptions CreateToolNoiseOptions(ulong seed) => ToolNoiseOptions.ForLevel(Level, seed);

    /// <summary>Creates the user noise of a noisy rollout at the current level (add the task's slots to it).</summary>
    /// <param name="seed">The rollout's noise seed.</param>
    /// <returns>New options.</returns>
    public virtual UserNoiseOptions CreateUserNoiseOptions(ulong seed) => UserNoiseOptions.ForLevel(Level, seed);

    /// <summary>
    /// Wraps the environment of a noisy rollout with both noises of the current level: tool noise from
    /// <see cref="CreateToolNoiseOptions"/>(<paramref name="seed"/>) and, when the environment has a simulated user, user
    /// noise from <see cref="CreateUserNoiseOptions"/>(<see cref="NoisyEnvironment.UserSeed"/>(<paramref name="seed"/>)),
    /// its slots filled from each task.
    /// </summary>
    /// <param name="environment">The rollout's environment.</param>
    /// <param name="seed">The rollout's noise seed.</param>
    /// <returns>The noisy environment.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is <see langword="null"/>.</exception>
    public NoisyEnvironment CreateNoisyEnvironment(Agentic.Core.Agents.AgentEnvironment environment, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new NoisyEnvironment(environment, CreateToolNoiseOptions(seed), CreateUserNoiseOptions(NoisyEnvironment.UserSeed(seed)));
    }

    /// <summary>Captures the complete state.</summary>
    /// <returns>A snapshot that <see cref="SetState"/> restores.</returns>
    public NoiseCurriculumState GetState() => new(Level, [.. _clean], [.. _noisy], LevelRaises, _random.GetState());

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    /// <param name="state">The state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The state has an undefined level, a negative raise count or an invalid generator state.</exception>
    public void SetState(NoiseCurriculumState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Enum.IsDefined(state.Level) || state.LevelRaises < 0 || !state.Random.IsValid
            || state.CleanOutcomes is null || state.NoisyOutcomes is null)
        {
            throw new ArgumentException("The curriculum state is invalid.", nameof(state));
        }

        Level = state.Level;
        LevelRaises = state.LevelRaises;
        _random = new DeterministicRandom(state.Random);
        Refill(_clean, state.CleanOutcomes);
        Refill(_noisy, state.NoisyOutcomes);
    }

    /// <summary>Serializes the complete state to JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(GetState(), NoiseJsonContext.Default.NoiseCurriculumState);

    /// <summary>Restores a state serialized by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="JsonException">The text is not a curriculum state.</exception>
    /// <exception cref="ArgumentException">The state is invalid.</exception>
    public void RestoreJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var state = JsonSerializer.Deserialize(json, NoiseJsonContext.Default.NoiseCurriculumState)
            ?? throw new JsonException("The JSON holds no curriculum state.");
        SetState(state);
    }

    /// <summary>How many rollouts of a group of <paramref name="groupSize"/> get noise.</summary>
    /// <param name="groupSize">The group size.</param>
    /// <returns>
    /// By default <c>round(NoisyFraction × groupSize)</c>, kept within [1, groupSize − 1] when the group has at least two
    /// rollouts and the fraction is strictly between 0 and 1, so both subgroups exist for the separate advantages.
    /// </returns>
    protected virtual int CountNoisyRollouts(int groupSize)
    {
        double fraction = Options.NoisyFraction;
        int count = (int)Math.Round(fraction * groupSize, MidpointRounding.AwayFromZero);
        if (groupSize >= 2 && fraction > 0 && fraction < 1)
        {
            count = Math.Clamp(count, 1, groupSize - 1);
        }

        return count;
    }

    /// <summary>Whether the level should rise, given full windows.</summary>
    /// <param name="cleanSuccessRate">The clean window's success rate.</param>
    /// <param name="noisySuccessRate">The noisy window's success rate.</param>
    /// <returns>By default, whether the clean rate is at least <see cref="NoiseCurriculumOptions.MinCleanSuccess"/> and the gap at most <see cref="NoiseCurriculumOptions.GapThreshold"/>.</returns>
    protected virtual bool ShouldRaiseLevel(double cleanSuccessRate, double noisySuccessRate) =>
        cleanSuccessRate >= Options.MinCleanSuccess && cleanSuccessRate - noisySuccessRate <= Options.GapThreshold;

    /// <summary>The level after <paramref name="current"/>.</summary>
    /// <param name="current">The current level.</param>
    /// <returns>By default the next level (capped by <see cref="NoiseCurriculumOptions.MaxLevel"/> by the caller).</returns>
    protected virtual NoiseLevel NextLevel(NoiseLevel current) => current + 1;

    /// <summary>Called after the level rose.</summary>
    /// <param name="previous">The level before.</param>
    /// <param name="current">The new level.</param>
    protected virtual void OnLevelRaised(NoiseLevel previous, NoiseLevel current)
    {
    }

    private static double? Rate(Queue<bool> window) => window.Count == 0 ? null : window.Count(s => s) / (double)window.Count;

    private void Refill(Queue<bool> window, IReadOnlyList<bool> outcomes)
    {
        window.Clear();
        foreach (bool outcome in outcomes.Skip(Math.Max(0, outcomes.Count - Options.Window)))
        {
            window.Enqueue(outcome);
        }
    }
}
