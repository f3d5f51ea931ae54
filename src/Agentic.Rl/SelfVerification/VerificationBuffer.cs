namespace Agentic.Rl.SelfVerification;

/// <summary>
/// The policy's recent (problem, answer) pairs, kept per verdict class (first in, first out), so verification batches
/// can be drawn balanced between correct and incorrect answers.
/// </summary>
public sealed class VerificationBuffer
{
    private readonly Queue<VerificationExample> _correct = new();
    private readonly Queue<VerificationExample> _incorrect = new();

    /// <summary>Creates a buffer keeping at most <paramref name="capacityPerClass"/> pairs of each class.</summary>
    public VerificationBuffer(int capacityPerClass = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityPerClass, 1);
        Capacity = capacityPerClass;
    }

    /// <summary>Pairs kept per class.</summary>
    public int Capacity { get; }

    /// <summary>Number of correct pairs held.</summary>
    public int CorrectCount => _correct.Count;

    /// <summary>Number of incorrect pairs held.</summary>
    public int IncorrectCount => _incorrect.Count;

    /// <summary>Adds a pair, evicting the oldest of its class when full.</summary>
    public void Add(VerificationExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var queue = example.Correct ? _correct : _incorrect;
        queue.Enqueue(example);
        while (queue.Count > Capacity) queue.Dequeue();
    }

    /// <summary>
    /// Draws <paramref name="count"/> pairs, half correct and half incorrect (with replacement); empty when either class
    /// is empty, since an unbalanced batch would teach the policy the majority answer.
    /// </summary>
    public IReadOnlyList<VerificationExample> SampleBalanced(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_correct.Count == 0 || _incorrect.Count == 0) return [];
        var correct = _correct.ToArray();
        var incorrect = _incorrect.ToArray();
        var batch = new VerificationExample[count];
        for (int i = 0; i < count; i++)
        {
            var source = i % 2 == 0 ? correct : incorrect;
            batch[i] = source[random.Next(source.Length)];
        }
        return batch;
    }
}
