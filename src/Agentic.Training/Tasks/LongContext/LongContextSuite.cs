using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Agentic.Core.Agents;
using Agentic.Core.Randomness;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>Options of the <c>longcontext</c> suite.</summary>
public sealed class LongContextSuiteOptions
{
    /// <summary>Number of chunks the context is split into.</summary>
    [Range(1, 10_000)] public int Chunks { get; set; } = 8;

    /// <summary>Approximate characters per chunk.</summary>
    [Range(64, 1_000_000)] public int ChunkCharacters { get; set; } = 600;

    /// <summary>Distractor needles (other keys) in multi-key questions: at most 11, the suite has twelve keys.</summary>
    [Range(0, 11)] public int DistractorNeedles { get; set; } = 3;

    /// <summary>Assignments in the variable-tracking chain (hops).</summary>
    [Range(2, 20)] public int TrackingHops { get; set; } = 3;

    /// <summary>
    /// The question kinds tasks are drawn from, uniformly (all three by default, drawn as before the option existed).
    /// With <see cref="LongContextQuestion.MultiKey"/> alone, every task asks for one key's value among others'.
    /// </summary>
    public IReadOnlyList<LongContextQuestion> Questions { get; set; } = [LongContextQuestion.SingleNeedle, LongContextQuestion.MultiKey, LongContextQuestion.VariableTracking];

    /// <summary>A copy of these options with other question kinds (a copy of <paramref name="questions"/>; null stays null, for <see cref="Validate"/> to refuse).</summary>
    internal LongContextSuiteOptions WithQuestions(IReadOnlyList<LongContextQuestion> questions)
    {
        var copy = (LongContextSuiteOptions)MemberwiseClone();
        copy.Questions = questions is null ? null! : [.. questions];
        return copy;
    }

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (Questions is null || Questions.Count == 0) throw new ValidationException("The longcontext suite needs at least one question kind.");
        foreach (var question in Questions)
        {
            if (!Enum.IsDefined(question)) throw new ValidationException($"Unknown longcontext question kind {(int)question}.");
        }
    }
}

/// <summary>
/// The <c>longcontext</c> suite (RULER-style): needles and multi-hop facts hidden in long generated distractor text,
/// delivered chunk by chunk. Each task records which chunks hold the evidence, for the memory issue's update and exit
/// rewards. Training and held-out tasks come from disjoint seed ranges.
/// </summary>
public sealed class LongContextSuite : ITaskSuite
{
    /// <summary>The suite's command-line name.</summary>
    public const string Name = "longcontext";

    private static readonly string[] Subjects = ["The committee", "A traveller", "The old mill", "Our neighbour", "The river", "A small bakery", "The orchestra", "The lighthouse keeper"];
    private static readonly string[] Verbs = ["described", "remembered", "painted", "ignored", "measured", "discussed", "admired", "repaired"];
    private static readonly string[] Objects = ["the northern road", "a quiet harbour", "the spring festival", "an unfinished bridge", "the winter market", "a forgotten song", "the copper roof", "an empty garden"];
    private static readonly string[] Endings = ["before dawn", "for many years", "with great care", "without a word", "after the storm", "in the evening light"];
    private static readonly string[] Keys = ["amber", "basalt", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "indigo", "juniper", "kestrel", "lumen"];
    private static readonly string[] Variables = ["X", "Y", "Z", "W", "Q", "R", "S", "T"];

    private readonly LongContextSuiteOptions _options;

    /// <summary>Creates the suite.</summary>
    public LongContextSuite(LongContextSuiteOptions? options = null)
    {
        _options = options ?? new LongContextSuiteOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Suite => Name;

    /// <summary>
    /// A suite with these options except the question kinds its tasks are drawn from: for example the kinds a training
    /// phase should focus on, while evaluation keeps this suite. Tasks of either come from the same disjoint training and
    /// held-out seed ranges.
    /// </summary>
    /// <param name="questions">The question kinds (see <see cref="LongContextSuiteOptions.Questions"/>).</param>
    /// <returns>A new suite; this one is unchanged.</returns>
    /// <exception cref="ValidationException"><paramref name="questions"/> is null, empty or holds an unknown kind.</exception>
    public LongContextSuite WithQuestions(IReadOnlyList<LongContextQuestion> questions) => new(_options.WithQuestions(questions));

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        // Training seeds are odd, held-out seeds even: the splits never share a context.
        return Enumerable.Range(0, count).Select(_ => (AgentTask)Create(((ulong)random.NextInt64(0, long.MaxValue) << 1) | 1)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> HeldOut(int count)
    {
        var random = new DeterministicRandom(0x10C0_47E7UL);
        return Enumerable.Range(0, count).Select(_ => (AgentTask)Create((ulong)random.NextInt64(0, long.MaxValue) << 1)).ToArray();
    }

    /// <summary>Creates the task of <paramref name="seed"/>.</summary>
    public LongContextTask Create(ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var kind = _options.Questions[random.Next(_options.Questions.Count)];
        var chunks = Enumerable.Range(0, _options.Chunks).Select(_ => Filler(random)).ToList();
        var evidence = new List<int>();
        var facts = new List<string>();
        string Value() => random.Next(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture);
        void Insert(int chunk, string sentence)
        {
            var sentences = chunks[chunk].Split(". ").ToList();
            sentences.Insert(random.Next(sentences.Count + 1), sentence.TrimEnd('.'));
            chunks[chunk] = string.Join(". ", sentences);
        }
        // A sentence the answer needs: inserted like any other, and recorded with its chunk.
        void InsertEvidence(int chunk, string fact)
        {
            Insert(chunk, fact);
            evidence.Add(chunk);
            facts.Add(fact);
        }

        string question, answer;
        int difficulty;
        var keys = Keys.ToArray();
        random.Shuffle(keys);
        switch (kind)
        {
            case LongContextQuestion.SingleNeedle:
            {
                answer = Value();
                int at = random.Next(chunks.Count);
                InsertEvidence(at, $"The special code for {keys[0]} is {answer}");
                question = $"What is the special code for {keys[0]}?";
                difficulty = 1;
                break;
            }
            case LongContextQuestion.MultiKey:
            {
                answer = Value();
                int at = random.Next(chunks.Count);
                InsertEvidence(at, $"The special code for {keys[0]} is {answer}");
                for (int d = 1; d <= _options.DistractorNeedles; d++) Insert(random.Next(chunks.Count), $"The special code for {keys[d]} is {Value()}.");
                question = $"What is the special code for {keys[0]}?";
                difficulty = 1 + _options.DistractorNeedles;
                break;
            }
            default:
            {
                answer = Value();
                var names = Variables.ToArray();
                random.Shuffle(names);
                int hops = Math.Min(_options.TrackingHops, names.Length);
                // Assignments in reading order, spread over increasing chunks.
                var positions = Enumerable.Range(0, hops).Select(_ => random.Next(chunks.Count)).Order().ToArray();
                InsertEvidence(positions[0], $"VAR {names[0]} = {answer}");
                for (int h = 1; h < hops; h++) InsertEvidence(positions[h], $"VAR {names[h]} = VAR {names[h - 1]}");
                question = $"Which number does VAR {names[hops - 1]} hold?";
                difficulty = hops;
                break;
            }
        }
        return new LongContextTask($"{Name}-{seed:x}", question, difficulty, kind, chunks, answer, evidence.Distinct().Order().ToArray())
        {
            EvidenceFacts = facts,
        };
    }

    private string Filler(Random random)
    {
        var sb = new StringBuilder();
        while (sb.Length < _options.ChunkCharacters)
        {
            sb.Append(Subjects[random.Next(Subjects.Length)]).Append(' ').Append(Verbs[random.Next(Verbs.Length)]).Append(' ')
              .Append(Objects[random.Next(Objects.Length)]).Append(' ').Append(Endings[random.Next(Endings.Length)]).Append(". ");
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>Creates an environment for this suite (one per concurrent episode).</summary>
    public LongContextEnvironment CreateEnvironment() => new();

    AgentEnvironment ITaskSuite.CreateEnvironment() => CreateEnvironment();

    /// <inheritdoc />
    public Microsoft.Extensions.AI.IChatClient CreateExpert() => new LongContextExpert();
}
